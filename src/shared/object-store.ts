// The handful of object operations cdh and the dump summaries need, the same for every store: S3
// (s3-objects.ts) and Azure Blob (azure-objects.ts). Dump uploads keep their own code (multipart
// parts, staged blocks); this is for listing, reading back, small writes and deletes.
import type { Readable } from 'node:stream';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** Last modified, ms since the epoch (0 when the store gives none). */
  readonly modifiedMs: number;
}

export interface OpenUpload {
  readonly key: string;
  /** When the upload began (S3) or its blob was last touched (Azure), ms since the epoch. */
  readonly startedMs: number;
}

export interface ListOptions {
  /** '/': only keys directly under the prefix, none inside deeper "folders". */
  readonly delimiter?: '/';
}

export interface ObjectStore {
  readonly kind: 's3' | 'azure';
  /** The bucket, or the container. */
  readonly name: string;
  /** s3://bucket/key or azure://container/blob, for messages. */
  url(key: string): string;
  /** Stored objects under `prefix`, in key order. */
  list(prefix: string, opts?: ListOptions): AsyncIterable<ListedObject>;
  /** Objects still being written: S3's open multipart uploads, Azure's blobs with only uncommitted blocks. */
  listUploading(prefix: string, opts?: ListOptions): AsyncIterable<OpenUpload>;
  /** The whole body, streamed, and its length. */
  get(key: string): Promise<{ body: Readable; length: number }>;
  size(key: string): Promise<number>;
  /** `length` bytes from `offset` (one ranged request). */
  readRange(key: string, offset: number, length: number): Promise<Buffer>;
  /** A small object, written in one request (it may replace one). */
  put(key: string, body: string | Buffer, contentType: string): Promise<void>;
  /** Deletes the object; one that is already gone is no error. */
  delete(key: string): Promise<void>;
  /** Frees the client's sockets (when the store owns its client). */
  close(): void;
}

/** A small object's body as text (a summary, a JSON document). */
export async function getText(store: ObjectStore, key: string): Promise<string> {
  const { body } = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}
