// openSink: picks where a dump goes. Direct S3 when configured and reachable; otherwise the spool,
// from the first byte, with the reason recorded (the agent uploads spooled dumps later).
import path from 'node:path';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, describeError, isCdcError, type ErrorCode } from '../../shared/errors.ts';
import { objectKey } from '../../shared/spool/index.ts';
import { openSpoolSink } from './spool.ts';
import type { Sink } from './types.ts';

export type { Sink, SinkResult } from './types.ts';

/**
 * Per S3 request: a socket idle this long fails the attempt (3 attempts). A stalled S3 then costs
 * about 1.5 minutes, not forever, and the dump falls back to the spool; COMP_TIMEOUT caps the rest.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const CONNECT_TIMEOUT_MS = 3_000;

type Spool = (code: ErrorCode | null, detail: string) => Promise<Sink>;
type SinkRequest = { config: Config; name: string; log: Logger; metadata?: () => Record<string, string> };

/** Azure: a block blob. The SDK is loaded only here, as the AWS SDK is only on the S3 path. */
async function openAzure(opts: SinkRequest, spool: Spool): Promise<Sink> {
  const { config, name, log } = opts;
  const [azure, { openAzureSink }] = await Promise.all([import('../../shared/azure-blob.ts'), import('./azure.ts')]);
  const key = objectKey(config.s3.keyPrefix, name);
  try {
    const container = await azure.createContainerClient(config.azure, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const target = azure.blobTarget(container, key);
    // Nothing to create up front: checking the blob is free is the start's round trip (and the
    // same stall rule as mid-stream applies to it).
    await azure.assertNoBlob(target, AbortSignal.timeout(config.progressTimeoutMs));
    const tag = azure.newUploadTag();
    log.info({
      event: 'UploadStarted', store: 'azure', credential: azure.azureCredentialKind(config.azure), bucket: target.container, key,
      partSizeBytes: config.partSizeBytes, concurrency: config.uploadConcurrency,
    }, 'UploadStarted');
    return openAzureSink({ config, name, log, target, tag, ...(opts.metadata ? { metadata: opts.metadata } : {}) });
  } catch (e) {
    return isCdcError(e) ? spool(e.code, e.detail ?? e.message) : spool('CDC_S3_UNREACHABLE', `Azure: ${describeError(e)}`);
  }
}

/** `metadata` is asked for when the upload is created (S3 object metadata; see object-metadata.ts). */
export async function openSink(opts: SinkRequest): Promise<Sink> {
  const { config, name, log } = opts;
  if (path.basename(name) !== name || name === '' || name.startsWith('.')) {
    throw new CdcError('CDC_INTERNAL', `unsafe dump name ${JSON.stringify(name)}`);
  }
  const spool: Spool = (code, detail) => {
    // Spooling by choice (direct upload off) is no problem; falling back to it is one.
    const reason = code ? new CdcError(code, detail).message : detail;
    if (code) log.warn({ event: 'SpoolFallbackChosen', code, reason }, 'SpoolFallbackChosen');
    else log.info({ event: 'SpoolChosen', reason }, 'SpoolChosen');
    return openSpoolSink({ config, name, log, reason });
  };
  if (!config.directUpload) return spool(null, 'direct upload is off (COMP_DIRECT_UPLOAD=false)');
  if (config.store === 'azure') return openAzure(opts, spool);
  const bucket = config.s3.bucket;
  if (!bucket) return spool('CDC_S3_CONFIG', 'S3_BUCKET_NAME is not set');

  // The AWS SDK takes ~150 ms to load: only now, and only on the S3 path (the spool never needs it).
  const [{ createS3Client }, { abortUpload, assertNoObject, createUpload }, { openS3Sink }] = await Promise.all([
    import('../../shared/s3-client.ts'), import('../../shared/s3-commands.ts'), import('./s3.ts'),
  ]);
  const client = createS3Client(config.s3, { requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  const key = objectKey(config.s3.keyPrefix, name);
  let uploadId: string;
  const target = { client, bucket, key };
  try {
    // A store that does not answer at the start is the same stall as one mid-stream: spool.
    const signal = AbortSignal.timeout(config.progressTimeoutMs);
    // A dump never replaces another: the key must be free (stores that ignore If-None-Match on
    // completion are caught here). Both requests at once: the zip waits on them, and so may the
    // crashed process. The create's error wins, for its clearer message.
    const [id, taken] = await Promise.all([
      createUpload(target, signal, opts.metadata?.()),
      assertNoObject(target, signal).then(() => undefined, (e: unknown) => e),
    ]);
    uploadId = id;
    if (taken !== undefined) {
      await abortUpload(target, uploadId, log);
      throw taken;
    }
  } catch (e) {
    client.destroy();
    return isCdcError(e) ? spool(e.code, e.detail ?? e.message) : spool('CDC_S3_UNREACHABLE', describeError(e));
  }
  log.info({
    event: 'UploadStarted', bucket, key, partSizeBytes: config.partSizeBytes, concurrency: config.uploadConcurrency,
  }, 'UploadStarted');
  return openS3Sink({ config, name, log, client, bucket, key, uploadId });
}
