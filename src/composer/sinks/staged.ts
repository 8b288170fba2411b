// The direct sink of both stores: the zip goes straight into the store as parts (an S3 multipart
// upload, or Azure blocks). If the store fails mid-stream, the parts it confirmed stay and
// everything after them goes to {name}.zip.rest with a manifest (shared/spool/names.ts) the agent
// completes: the core never has to be whole on disk. s3.ts and azure.ts give the store's commands.
import path from 'node:path';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, codeOf, describeError, isCdcError } from '../../shared/errors.ts';
import { PartUploader, type PartSender } from '../../shared/part-uploader.ts';
import { dumpFiles, writeManifest, type UploadedPart } from '../../shared/spool/index.ts';
import { SpoolFile } from './spool-file.ts';
import { reserveSpool } from './spool.ts';
import { makeSink, type Sink } from './types.ts';

/** One upload in a store, opened by s3.ts or azure.ts; owned by the sink from here on. */
export interface StagedUpload {
  /** S3 bucket and key, or Azure container and blob name (the names logs and records use). */
  readonly bucket: string;
  readonly key: string;
  /** S3's upload id, or the Azure block id tag. */
  readonly uploadId: string;
  /** Written into the manifest: absent for S3 (manifests before issue 15). */
  readonly store?: 'azure';
  readonly send: PartSender;
  /** Makes the object whole from its parts, in order. */
  complete(parts: UploadedPart[], signal: AbortSignal): Promise<{ bytes: number }>;
  /** Drops the parts (abort()): never a zip that looks whole. */
  discard(log: Logger): Promise<unknown>;
  /** Releases the client. */
  close(): void;
}

export function openStagedSink(o: { config: Config; name: string; log: Logger; upload: StagedUpload }): Sink {
  const { config, name, log, upload } = o;
  const { bucket, key, uploadId } = upload;
  const files = dumpFiles(name);
  const restPath = path.join(config.coreDir, files.rest);
  const manifestPath = path.join(config.coreDir, files.manifest);
  const started = Date.now();

  return makeSink((signal) => {
    const uploader = new PartUploader({
      send: upload.send, schedule: config.partSchedule, concurrency: config.uploadConcurrency,
      budgetBytes: config.memory.partBudgetBytes, log, signal,
      progressTimeoutMs: config.progressTimeoutMs,
    });
    let rest: SpoolFile | null = null;
    let kept: { parts: UploadedPart[]; confirmedBytes: number; reason: string } | null = null;
    let completed = false;
    let manifestWritten = false;

    // The store failed: keep the confirmed prefix in the upload, everything after it goes to the rest file.
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
              const { bytes } = await upload.complete(uploader.parts(), AbortSignal.any([signal, AbortSignal.timeout(config.progressTimeoutMs)]));
              completed = true;
              const ms = Date.now() - started;
              log.info({ event: 'UploadCompleted', store: upload.store ?? 's3', bucket, key, bytes, parts: uploader.parts().length, ms }, 'UploadCompleted');
              upload.close();
              return { kind: 's3', bucket, key, bytes, ...(upload.store ? { store: upload.store } : {}) };
            } catch (e) {
              // Every part is in the store; only the completion failed. An empty rest lets the agent retry it.
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
          version: 1, ...(upload.store ? { store: upload.store } : {}), bucket, key, uploadId, partSize: config.partSchedule.firstBytes,
          schedule: { maxBytes: config.partSchedule.maxBytes, maxParts: config.partSchedule.maxParts }, parts: k.parts,
          restFile: files.rest, restBytes, createdAt: new Date().toISOString(),
        });
        manifestWritten = true;
        upload.close();
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
        await upload.discard(log);
        upload.close();
        log.warn({ event: 'SinkAborted', code: codeOf(why), bucket, key, reason: why.message }, 'SinkAborted');
      },
    };
  }, log);
}
