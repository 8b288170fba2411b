// The object store the configuration names (config.store), for the composer's dump summaries and
// for cdh. Only the chosen store's SDK is loaded, and only here (the composer's spool path needs neither).
import type { Config } from './config.ts';
import { CdcError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';

export interface OpenObjectsOptions {
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Attempts per request, the first included. */
  readonly attempts: number;
}

/** Builds no connection yet: the first request does (so a bad endpoint fails there, with its code). */
export async function openObjectStore(config: Config, o: OpenObjectsOptions): Promise<ObjectStore> {
  if (config.store === 'azure') {
    const [{ createContainerClient }, { azureObjects }] = await Promise.all([import('./azure-blob.ts'), import('./azure-objects.ts')]);
    let client: ReturnType<typeof createContainerClient> | undefined;
    const container = () => (client ??= createContainerClient(config.azure, { requestTimeoutMs: o.requestTimeoutMs, maxTries: o.attempts }));
    return azureObjects(container, config.azure.container ?? '');
  }
  const bucket = config.s3.bucket;
  if (!bucket) throw new CdcError('CDC_S3_CONFIG', 'S3_BUCKET_NAME is not set');
  const [{ createS3Client }, { s3Objects }] = await Promise.all([import('./s3-client.ts'), import('./s3-objects.ts')]);
  const client = createS3Client(config.s3, { requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, maxAttempts: o.attempts });
  return s3Objects(client, bucket);
}
