// A stored zip as a random-access source (shared/zip-read.ts), for any store (object-store.ts):
// its size, then one ranged read per read, so dump-info or a log entry is read without
// downloading the core.
import type { ObjectStore } from './object-store.ts';
import type { ZipSource } from './zip-read.ts';

export async function storeZipSource(store: ObjectStore, key: string, knownSize?: number): Promise<ZipSource> {
  const size = knownSize ?? (await store.size(key));
  return {
    size,
    readAt: async (offset, length) => (length === 0 ? Buffer.alloc(0) : store.readRange(key, offset, length)),
  };
}

/** The entry whose name ends with `suffix` (entries are named `{name}{suffix}`). */
export function entryEnding<T extends { name: string }>(entries: readonly T[], suffix: string): T | undefined {
  return entries.find((e) => e.name.endsWith(suffix));
}
