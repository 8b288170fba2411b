// The tests' S3: a real Ceph RGW started once per run by test/helpers/s3-before.ts (or one already
// running, named by CDC_TEST_S3_ENDPOINT). Each test makes its own bucket, so tests never collide.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand,
  ListObjectsV2Command, ListMultipartUploadsCommand, AbortMultipartUploadCommand, S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/shared/s3-client.ts';
import type { S3Config } from '../../src/shared/config.ts';
import type { ObjectStore } from '../../src/shared/object-store.ts';
import { s3Objects } from '../../src/shared/s3-objects.ts';

export const S3_STATE_DIR = process.env.CDC_TEST_S3_DIR ?? '/tmp/cdc-test-s3';
export const S3_ACCESS_KEY = 'CDCTESTACCESSKEY';
export const S3_SECRET = 'CDCTESTSECRETKEY0123456789';

export function testS3Endpoint(): string {
  const fromEnv = process.env.CDC_TEST_S3_ENDPOINT;
  if (fromEnv) return fromEnv;
  try {
    return fs.readFileSync(`${S3_STATE_DIR}/endpoint`, 'utf8').trim();
  } catch {
    throw new Error(`no test S3: run the suite with "npm test" (which starts Ceph RGW) or set CDC_TEST_S3_ENDPOINT`);
  }
}

/** Environment for a composer or agent pointed at the test S3 and `bucket`. */
export function s3Env(bucket: string, endpoint = testS3Endpoint()): Record<string, string> {
  return { S3_ENDPOINT: endpoint, S3_BUCKET_NAME: bucket, S3_ACCESS_KEY, S3_SECRET, S3_REGION: 'us-east-1' };
}

export function s3Config(bucket: string, endpoint = testS3Endpoint()): S3Config {
  return {
    bucket, region: 'us-east-1', endpoint, forcePathStyle: true,
    accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET, sessionToken: undefined, keyPrefix: '',
  };
}

export interface TestBucket {
  name: string;
  client: S3Client;
  config: S3Config;
  env: Record<string, string>;
  /** The bucket through the product's object interface (the client stays the bucket's). */
  objects: ObjectStore;
  /** Every key but the dump summaries cdh lists (cdh-index/, see src/shared/spool/names.ts). */
  keys(): Promise<string[]>;
  allKeys(): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  uploadsInProgress(): Promise<number>;
  destroy(): Promise<void>;
}

export async function createTestBucket(prefix = 'cdc'): Promise<TestBucket> {
  const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
  const config = s3Config(name);
  const client = createS3Client(config);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  const allKeys = async () => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      out.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  };
  const keys = async () => (await allKeys()).filter((k) => !k.includes('cdh-index/'));
  return {
    name, client, config, env: s3Env(name), keys, allKeys, objects: s3Objects(client, name, false),
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async uploadsInProgress() {
      const out = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
      return (out.Uploads ?? []).length;
    },
    async destroy() {
      const ups = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
      for (const u of ups.Uploads ?? []) {
        await client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key!, UploadId: u.UploadId! }));
      }
      const left = await allKeys();
      const worker = async () => { for (let k = left.pop(); k; k = left.pop()) await client.send(new DeleteObjectCommand({ Bucket: name, Key: k })); };
      await Promise.all(Array.from({ length: 16 }, worker)); // buckets of 10,000 dumps (test/cdh) empty in seconds
      await client.send(new DeleteBucketCommand({ Bucket: name })).catch(() => {});
      client.destroy();
    },
  };
}
