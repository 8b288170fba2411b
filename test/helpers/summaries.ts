// Synthetic dumps for cdh tests that need many or varied ones: a summary (written by the product's
// writeSummary) and a small placeholder object at the zip's key (list reads no zip), in either
// store (a TestBucket's or a TestContainer's `objects`).
import { writeSummary, type DumpSummary } from '../../src/shared/dump-summary.ts';
import type { ObjectStore } from '../../src/shared/object-store.ts';
import { objectKey } from '../../src/shared/spool/names.ts';

export function synthetic(i: number, over: Partial<DumpSummary> = {}): DumpSummary {
  const uuid = `${(0x10000000 + i).toString(16)}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return {
    uuid, name: `${uuid}-dump-${1_700_000_000 + i}-node-app-${100 + i}-11`, time: (1_700_000_000 + i) * 1000,
    node: `node-${i % 3}`, namespace: `team-${i % 2}`, pod: `app-${i}`, container: 'app', image: 'registry.example/app:1.0',
    exe: 'app', signal: 11, coreBytes: 1 << 20, zipBytes: 4096, ...over,
  };
}

/** Stores the dumps, `concurrency` requests at a time. */
export async function storeSynthetic(objects: ObjectStore, dumps: DumpSummary[], concurrency = 32): Promise<void> {
  const todo = [...dumps];
  const worker = async () => {
    for (let s = todo.pop(); s; s = todo.pop()) {
      await objects.put(objectKey('', s.name), 'placeholder', 'application/zip');
      await writeSummary({ objects, keyPrefix: '' }, s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
