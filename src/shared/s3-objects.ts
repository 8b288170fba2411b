// object-store.ts over S3: ListObjectsV2 and ListMultipartUploads page by page, GetObject (whole
// or one Range), HeadObject, PutObject, DeleteObject.
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
  PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import type { ListedObject, ListOptions, ObjectStore, OpenUpload } from './object-store.ts';

/** `owned`: close() destroys the client (false when the caller shares it, as the agent does). */
export function s3Objects(client: S3Client, bucket: string, owned = true): ObjectStore {
  const Bucket = bucket;
  return {
    kind: 's3',
    name: bucket,
    url: (key) => `s3://${bucket}/${key}`,
    async *list(prefix: string, opts: ListOptions = {}): AsyncGenerator<ListedObject> {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, Delimiter: opts.delimiter, ContinuationToken: token }));
        for (const o of page.Contents ?? []) yield { key: o.Key!, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async *listUploading(prefix: string, opts: ListOptions = {}): AsyncGenerator<OpenUpload> {
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({
          Bucket, Prefix: prefix, Delimiter: opts.delimiter, KeyMarker: keyMarker, UploadIdMarker: idMarker,
        }));
        for (const u of page.Uploads ?? []) yield { key: u.Key!, startedMs: u.Initiated?.getTime() ?? 0 };
        if (!page.IsTruncated) return;
        keyMarker = page.NextKeyMarker;
        idMarker = page.NextUploadIdMarker;
      }
    },
    async get(key) {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return { body: out.Body as Readable, length: out.ContentLength ?? 0 };
    },
    size: async (key) => (await client.send(new HeadObjectCommand({ Bucket, Key: key }))).ContentLength ?? 0,
    async readRange(key, offset, length) {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    close: () => { if (owned) client.destroy(); },
  };
}
