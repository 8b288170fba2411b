// Where cdh reads: the agent's own environment names (S3_BUCKET_NAME, S3_ENDPOINT, S3_REGION,
// S3_ACCESS_KEY, S3_SECRET, S3_KEY_PREFIX, parsed by the same loadConfig), overlaid by what
// --from-cluster read, overlaid by flags. No keys means the AWS default credential chain.
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type S3Config } from '../shared/config.ts';
import { CdcError, type ErrorCode } from '../shared/errors.ts';
import { createS3Client } from '../shared/s3-client.ts';
import { clusterEnv } from './cluster.ts';

export interface Store {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly s3: S3Config;
}

const FLAG_ENV = { bucket: 'S3_BUCKET_NAME', endpoint: 'S3_ENDPOINT', region: 'S3_REGION', prefix: 'S3_KEY_PREFIX' } as const;

export function openStore(values: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv, warn: (line: string) => void): Store {
  const merged: Record<string, string | undefined> = { ...env };
  if (values['from-cluster']) {
    Object.assign(merged, clusterEnv({
      namespace: values['cluster-namespace'] as string | undefined,
      daemonset: (values.daemonset as string | undefined) ?? 'core-dump-handler',
      context: values.context as string | undefined,
    }));
  }
  for (const [flag, name] of Object.entries(FLAG_ENV)) if (typeof values[flag] === 'string') merged[name] = values[flag] as string;
  const { config, warnings } = loadConfig(merged);
  for (const w of warnings) if (/S3_/.test(w.detail)) warn(`${w.code}: ${w.detail}`);
  const bucket = config.s3.bucket;
  if (!bucket) throw new CdcError('CDC_CLI_NO_BUCKET', 'no bucket named: set S3_BUCKET_NAME, --bucket, or --from-cluster');
  const client = createS3Client(config.s3, { maxAttempts: 2, connectTimeoutMs: 3_000, requestTimeoutMs: 60_000 });
  return { client, bucket, keyPrefix: config.s3.keyPrefix, s3: config.s3 };
}

/** An S3 SDK failure as the one line a user needs. */
export function s3Problem(e: unknown, bucket: string): CdcError | undefined {
  if (e instanceof CdcError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const as = (code: ErrorCode, detail: string) => new CdcError(code, detail);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(err.message ?? '')) return as('CDC_CLI_NO_CREDENTIALS', 'no S3 credentials found');
  if (name === 'NoSuchBucket') return as('CDC_CLI_NO_BUCKET', `bucket "${bucket}" does not exist`);
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden'].includes(name) || status === 403) {
    return as('CDC_CLI_ACCESS_DENIED', `S3 refused access to bucket "${bucket}" (${name || status})`);
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET'].includes(err.code ?? '') || name === 'TimeoutError') {
    return as('CDC_CLI_S3_UNREACHABLE', `${err.code ?? name}: ${err.message ?? ''}`.trim());
  }
  return undefined;
}
