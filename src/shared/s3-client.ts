// The one place an S3 client is built, for the composer, the agent, the tests and the bench.
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from './config.ts';

export interface S3ClientOptions {
  /** Per-request socket timeout; a stalled S3 must not hold a crashed process forever. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxAttempts?: number;
}

export function createS3Client(s3: S3Config, opts: S3ClientOptions = {}): S3Client {
  const credentials =
    s3.accessKeyId && s3.secretAccessKey
      ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, ...(s3.sessionToken ? { sessionToken: s3.sessionToken } : {}) }
      : undefined; // undefined: the AWS default chain (env, web identity, instance profile)
  return new S3Client({
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    maxAttempts: opts.maxAttempts ?? 3,
    // Many S3-compatible stores reject the SDK's newer default checksum headers; send them only when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      requestTimeout: opts.requestTimeoutMs ?? 60_000,
      connectionTimeout: opts.connectTimeoutMs ?? 3_000,
    },
  });
}
