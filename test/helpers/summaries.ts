// Synthetic dumps for cdh tests that need many or varied ones: a summary (written by the product's
// writeSummary) and a small placeholder object at the zip's key (list reads no zip), in either
// store (a TestBucket's or a TestContainer's `objects`).
import { writeSummary, type DumpSummary } from '../../src/shared/dump-summary.ts';
import type { ObjectStore } from '../../src/shared/object-store.ts';
import { objectKey } from '../../src/shared/spool/names.ts';
import { createZipWriter } from '../../src/composer/zip/index.ts';

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

/**
 * A small real dump zip for show/get: a core, dump-info made from the summary, a triage entry and
 * one container log, named as the composer names them (src/composer/entries.ts).
 */
export async function dumpZip(s: DumpSummary, core: Buffer, logLines: string[]): Promise<Buffer> {
  const zip = createZipWriter();
  const out: Buffer[] = [];
  zip.output.on('data', (c: Buffer) => out.push(c));
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  await zip.addBuffer(`${s.name}.core`, core);
  await zip.addBuffer(`${s.name}-dump-info.json`, json({
    uuid: s.uuid, name: s.name, timestamp: String(s.time / 1000), exe: s.exe, exe_path: `/usr/bin/${s.exe}`, signal: String(s.signal),
    node_hostname: s.node, namespace: s.namespace, pod: s.pod, container: s.container, image: s.image, core_bytes: core.length, real_pid: 4242,
  }));
  await zip.addBuffer(`${s.name}-crash.json`, json({ summary: `${s.exe} crashed`, signal: { name: 'SIGSEGV' }, fingerprint: s.fingerprint ?? null, frames: [] }));
  await zip.addBuffer(`${s.name}-0.log`, Buffer.from(logLines.join('\n') + '\n'));
  await zip.finish();
  return Buffer.concat(out);
}

/** A dump as the composer leaves it: the zip at its key, then its summary. */
export async function storeDump(objects: ObjectStore, s: DumpSummary, zip: Buffer): Promise<void> {
  await objects.put(objectKey('', s.name), zip, 'application/zip');
  await writeSummary({ objects, keyPrefix: '' }, { ...s, zipBytes: zip.length });
}
