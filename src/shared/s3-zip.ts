// A zip in S3 as a random-access source (shared/zip-read.ts): HeadObject for its size, then a
// range GET per read, so dump-info or a log entry is read without downloading the core.
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ZipSource } from './zip-read.ts';

export async function s3ZipSource(client: S3Client, bucket: string, key: string, knownSize?: number): Promise<ZipSource> {
  const size = knownSize ?? (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
  return {
    size,
    async readAt(offset, length) {
      if (length === 0) return Buffer.alloc(0);
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
  };
}

/** The entry whose name ends with `suffix` (entries are named `{name}{suffix}`). */
export function entryEnding<T extends { name: string }>(entries: readonly T[], suffix: string): T | undefined {
  return entries.find((e) => e.name.endsWith(suffix));
}
