// object-store.ts over Azure Blob: listBlobsFlat / listBlobsByHierarchy (the '/' delimiter),
// download (whole, or offset and count), upload, deleteIfExists. Blob names are the S3 keys.
import type { Readable } from 'node:stream';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { ListedObject, ListOptions, ObjectStore, OpenUpload } from './object-store.ts';
import { blobUrl } from './azure-blob.ts';

async function* blobs(c: ContainerClient, prefix: string, opts: ListOptions, uncommitted: boolean): AsyncGenerator<BlobItem> {
  // The SDK spells the option "Uncommited" (sic): it sends include=uncommittedblobs.
  const o = { prefix, ...(uncommitted ? { includeUncommitedBlobs: true } : {}) };
  if (!opts.delimiter) {
    yield* c.listBlobsFlat(o);
    return;
  }
  for await (const item of c.listBlobsByHierarchy(opts.delimiter, o)) if (item.kind === 'blob') yield item;
}

/** `container` is asked for at each call (the caller builds it once, on first use). */
export function azureObjects(container: () => Promise<ContainerClient>, name: string): ObjectStore {
  const blob = async (key: string) => (await container()).getBlockBlobClient(key);
  return {
    kind: 'azure',
    name,
    url: (key) => blobUrl({ container: name, name: key }),
    async *list(prefix: string, opts: ListOptions = {}): AsyncGenerator<ListedObject> {
      for await (const b of blobs(await container(), prefix, opts, false)) {
        yield { key: b.name, size: b.properties.contentLength ?? 0, modifiedMs: b.properties.lastModified?.getTime() ?? 0 };
      }
    },
    // A listing with uncommitted blobs names committed ones too: those in the plain listing are not uploading.
    async *listUploading(prefix: string, opts: ListOptions = {}): AsyncGenerator<OpenUpload> {
      const c = await container();
      const committed = new Set<string>();
      for await (const b of blobs(c, prefix, opts, false)) committed.add(b.name);
      for await (const b of blobs(c, prefix, opts, true)) {
        if (!committed.has(b.name)) yield { key: b.name, startedMs: b.properties.lastModified?.getTime() ?? 0 };
      }
    },
    async get(key) {
      const out = await (await blob(key)).download();
      return { body: out.readableStreamBody as Readable, length: out.contentLength ?? 0 };
    },
    size: async (key) => (await (await blob(key)).getProperties()).contentLength ?? 0,
    readRange: async (key, offset, length) => (await blob(key)).downloadToBuffer(offset, length),
    async put(key, body, contentType) {
      await (await blob(key)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: contentType } });
    },
    async delete(key) {
      await (await blob(key)).deleteIfExists();
    },
    close: () => undefined, // the SDK keeps no sockets that hold the process
  };
}
