// Streaming zip writer for the composer: own zip framing, parallel deflate, zstd, store.
export { createZipWriter, type Parallelism } from './writer.ts';
export type { EntryCodec, EntryStats, ZipWriter } from './writer.ts';
