// The direct sink: the zip goes straight into an S3 multipart upload. If S3 fails mid-stream, the
// parts it confirmed stay in the upload and everything after them goes to {name}.zip.rest with a
// manifest (shared/spool/names.ts) the agent completes: the core never has to be whole on disk.
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, codeOf, describeError, isCdcError } from '../../shared/errors.ts';
import { abortUpload, completeUpload, s3PartSender } from '../../shared/s3-commands.ts';
import { PartUploader } from '../../shared/part-uploader.ts';
import { dumpFiles, writeManifest, type UploadedPart } from '../../shared/spool/index.ts';
import { SpoolFile } from './spool-file.ts';
import { reserveSpool } from './spool.ts';
import { makeSink, type Sink } from './types.ts';

export interface S3SinkOptions {
  config: Config;
  name: string;
  log: Logger;
  client: S3Client; // owned by the sink from here on: destroyed when it is done
  bucket: string;
  key: string;
  uploadId: string;
}

export function openS3Sink(o: S3SinkOptions): Sink {
  const { config, name, log, client, bucket, key, uploadId } = o;
  const target = { client, bucket, key };
  const files = dumpFiles(name);
  const restPath = path.join(config.coreDir, files.rest);
  const manifestPath = path.join(config.coreDir, files.manifest);
  const started = Date.now();

  return makeSink((signal) => {
    const uploader = new PartUploader({
      send: s3PartSender(target, uploadId), partSize: config.partSizeBytes, concurrency: config.uploadConcurrency, log, signal,
      progressTimeoutMs: config.progressTimeoutMs,
    });
    let rest: SpoolFile | null = null;
    let kept: { parts: UploadedPart[]; confirmedBytes: number; reason: string } | null = null;
    let completed = false;
    let manifestWritten = false;

    // S3 failed: keep the confirmed prefix in the upload, everything after it goes to the rest file.
    async function switchToRest(parts: UploadedPart[], confirmedBytes: number, buffers: Buffer[], err: Error): Promise<void> {
      signal.throwIfAborted();
      const reason = isCdcError(err) ? err.message : new CdcError('CDC_S3_MIDSTREAM', describeError(err)).message;
      log.warn({ event: 'UploadFailedMidstream', code: codeOf(err, 'CDC_S3_MIDSTREAM'), bucket, key, confirmedParts: parts.length, confirmedBytes, err: describeError(err) }, 'UploadFailedMidstream');
      kept = { parts, confirmedBytes, reason };
      rest = await SpoolFile.create(restPath, await reserveSpool(config, log, 'rest', files.rest));
      await rest.write(buffers);
    }

    return {
      async write(chunks) {
        for (let i = 0; i < chunks.length; i++) {
          if (rest) { await rest.write(chunks.slice(i)); return; }
          if (await uploader.write(chunks[i]!)) continue;
          const u = await uploader.unconfirmed(); // includes chunks[i]
          await switchToRest(u.parts, u.confirmedBytes, u.buffers, u.error);
        }
      },

      async final() {
        if (!rest) {
          if (await uploader.flush()) {
            signal.throwIfAborted();
            try {
              // A completion that hangs is a stall too: then the agent completes it from the manifest.
              const { bytes } = await completeUpload(target, uploadId, uploader.parts(), AbortSignal.any([signal, AbortSignal.timeout(config.progressTimeoutMs)]));
              completed = true;
              const ms = Date.now() - started;
              log.info({ event: 'UploadCompleted', bucket, key, bytes, parts: uploader.parts().length, ms }, 'UploadCompleted');
              client.destroy();
              return { kind: 's3', bucket, key, bytes };
            } catch (e) {
              // Every part is in S3; only the completion failed. An empty rest lets the agent retry it.
              const parts = uploader.parts();
              await switchToRest(parts, parts.reduce((n, p) => n + p.size, 0), [], e as Error);
            }
          } else {
            const u = await uploader.unconfirmed();
            await switchToRest(u.parts, u.confirmedBytes, u.buffers, u.error);
          }
        }
        const r = rest!, k = kept!;
        signal.throwIfAborted();
        const restBytes = await r.commit();
        signal.throwIfAborted();
        // The manifest comes last: its presence says the rest file is whole.
        await writeManifest(manifestPath, {
          version: 1, bucket, key, uploadId, partSize: config.partSizeBytes, parts: k.parts,
          restFile: files.rest, restBytes, createdAt: new Date().toISOString(),
        });
        manifestWritten = true;
        client.destroy();
        const bytes = k.confirmedBytes + restBytes;
        log.warn({ event: 'PartialUploadSpooled', code: 'CDC_S3_MIDSTREAM', manifestPath, bucket, key, confirmedBytes: k.confirmedBytes, restBytes }, 'PartialUploadSpooled');
        return { kind: 'partial', manifestPath, bucket, key, bytes, reason: k.reason };
      },

      hurry(reason) {
        if (!completed) uploader.stop(reason);
      },

      async cleanup(why) {
        if (manifestWritten || completed) return;
        await rest?.removeCommitted();
        await abortUpload(target, uploadId, log);
        client.destroy();
        log.warn({ event: 'SinkAborted', code: codeOf(why), bucket, key, reason: why.message }, 'SinkAborted');
      },
    };
  }, log);
}
