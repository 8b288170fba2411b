// Where cdh reads: the agent's own environment names, parsed by the same loadConfig — S3
// (S3_BUCKET_NAME, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET; no keys means the AWS default
// credential chain) or Azure Blob when AZURE_STORAGE_CONTAINER is set (a connection string, an
// account with a key or SAS token), and S3_KEY_PREFIX for both — overlaid by what --from-cluster
// read, overlaid by flags (for Azure, --bucket names the container and --endpoint the blob endpoint).
import { loadConfig } from '../shared/config.ts';
import { CdcError } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/object-store.ts';
import { openObjectStore } from '../shared/open-objects.ts';
import { clusterEnv } from './cluster.ts';

export interface Store {
  readonly objects: ObjectStore;
  readonly keyPrefix: string;
}

const FLAG_ENV = { bucket: 'S3_BUCKET_NAME', endpoint: 'S3_ENDPOINT', region: 'S3_REGION', prefix: 'S3_KEY_PREFIX' } as const;
const AZURE_FLAG_ENV: Partial<Record<keyof typeof FLAG_ENV, string>> = { bucket: 'AZURE_STORAGE_CONTAINER', endpoint: 'AZURE_STORAGE_BLOB_ENDPOINT' };

export async function openStore(values: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv, warn: (line: string) => void): Promise<Store> {
  const merged: Record<string, string | undefined> = { ...env };
  if (values['from-cluster']) {
    Object.assign(merged, clusterEnv({
      namespace: values['cluster-namespace'] as string | undefined,
      daemonset: (values.daemonset as string | undefined) ?? 'core-dump-handler',
      context: values.context as string | undefined,
    }));
  }
  const azure = Boolean(merged.AZURE_STORAGE_CONTAINER);
  for (const [flag, name] of Object.entries(FLAG_ENV) as Array<[keyof typeof FLAG_ENV, string]>) {
    if (typeof values[flag] === 'string') merged[(azure && AZURE_FLAG_ENV[flag]) || name] = values[flag] as string;
  }
  const { config, warnings } = loadConfig(merged);
  for (const w of warnings) if (/S3_|AZURE_/.test(w.detail)) warn(`${w.code}: ${w.detail}`);
  if (config.store === 's3' && !config.s3.bucket) {
    throw new CdcError('CDC_CLI_NO_BUCKET', 'no bucket named: set S3_BUCKET_NAME (or AZURE_STORAGE_CONTAINER), --bucket, or --from-cluster');
  }
  const objects = await openObjectStore(config, { attempts: 2, connectTimeoutMs: 3_000, requestTimeoutMs: 60_000 });
  return { objects, keyPrefix: config.s3.keyPrefix };
}
