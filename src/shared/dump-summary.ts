// The dump summary: the few fields `cdh list` and `cdh groups` show and filter on, written once per
// stored dump as a small object whose key carries the summary (key layout: shared/spool/names.ts).
// One listing page then lists 1,000 (S3) or 5,000 (Azure) dumps; no zip is opened to list or group
// them. The same keys in either store (object-store.ts).
//
// Written after the zip is whole, through writeSummary() only: by the composer's record stage for
// a direct upload, by the agent's uploader for a spooled or partial dump (which reads dump-info
// back from the stored zip). A dump whose summary is missing still lists, from its zip key alone.
import { codeOf, describeError } from './errors.ts';
import type { Logger } from './log.ts';
import { objectKey, parseSummaryKey, summaryKey, SUMMARY_IN_BODY } from './spool/names.ts';
import type { ObjectStore } from './object-store.ts';
import { entryEnding, storeZipSource } from './store-zip.ts';
import { readEntries, readEntry } from './zip-read.ts';

export interface DumpSummary {
  readonly uuid: string;
  /** The dump name: the zip is objectKey(prefix, name). */
  readonly name: string;
  /** Crash time (the kernel's %t), ms since the epoch. */
  readonly time: number;
  readonly node: string | null;
  readonly namespace: string | null;
  readonly pod: string | null;
  readonly container: string | null;
  readonly image: string | null;
  readonly exe: string | null;
  readonly signal: number | null;
  readonly coreBytes: number | null;
  readonly zipBytes: number | null;
  /** The crash fingerprint, once crash triage computes one (dump-info's `crash_fingerprint`). */
  readonly fingerprint?: string;
}

// The key's payload is a JSON array in this order (shorter than an object: keys are 1,024 bytes).
const FIELDS = ['name', 'node', 'namespace', 'pod', 'container', 'image', 'exe', 'signal', 'coreBytes', 'zipBytes', 'fingerprint'] as const;
const MAX_KEY_BYTES = 1024;

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** The summary of a dump from its dump-info.json (the composer's, or one read back from the zip). */
export function summaryOf(info: Record<string, unknown>, zipBytes: number | null): DumpSummary {
  const seconds = num(info.timestamp);
  const fingerprint = text(info.crash_fingerprint);
  return {
    uuid: text(info.uuid) ?? text(info.name) ?? 'unknown',
    name: text(info.name) ?? '',
    time: seconds === null ? Date.now() : seconds * 1000,
    node: text(info.node_hostname),
    namespace: text(info.namespace),
    pod: text(info.pod),
    container: text(info.container),
    image: text(info.image),
    exe: text(info.exe),
    signal: num(info.signal),
    coreBytes: num(info.core_bytes),
    zipBytes,
    ...(fingerprint ? { fingerprint } : {}),
  };
}

/** The summary's object key: with the summary in it when it fits, else with SUMMARY_IN_BODY. */
export function keyOfSummary(prefix: string, s: DumpSummary): string {
  const row = FIELDS.map((f) => s[f] ?? null);
  while (row.length > 0 && row[row.length - 1] === null) row.pop();
  const key = summaryKey(prefix, s.time, s.uuid, Buffer.from(JSON.stringify(row)).toString('base64url'));
  return Buffer.byteLength(key) <= MAX_KEY_BYTES ? key : summaryKey(prefix, s.time, s.uuid, SUMMARY_IN_BODY);
}

/** The summary a listed key carries; `body` is needed (and then given) only when the key says SUMMARY_IN_BODY. */
export function summaryFromKey(prefix: string, key: string, body?: unknown): DumpSummary | undefined {
  const k = parseSummaryKey(prefix, key);
  if (!k) return undefined;
  if (k.payload === SUMMARY_IN_BODY) return body && typeof body === 'object' ? fromObject(body as Record<string, unknown>) : undefined;
  let row: unknown;
  try {
    row = JSON.parse(Buffer.from(k.payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(row)) return undefined;
  const o: Record<string, unknown> = { uuid: k.uuid, time: k.timeMs };
  FIELDS.forEach((f, i) => { o[f] = row[i]; });
  return fromObject(o);
}

/** Untrusted JSON (a key's payload, an object body) -> a summary with checked field types. */
function fromObject(o: Record<string, unknown>): DumpSummary | undefined {
  const name = text(o.name);
  const time = num(o.time);
  if (!name || time === null) return undefined;
  const fingerprint = text(o.fingerprint);
  return {
    uuid: text(o.uuid) ?? '', name, time,
    node: text(o.node), namespace: text(o.namespace), pod: text(o.pod), container: text(o.container), image: text(o.image),
    exe: text(o.exe), signal: num(o.signal), coreBytes: num(o.coreBytes), zipBytes: num(o.zipBytes),
    ...(fingerprint ? { fingerprint } : {}),
  };
}

export interface SummaryTarget {
  readonly objects: ObjectStore;
  readonly keyPrefix: string;
}

/** Stores the summary of a dump whose zip is whole in the store. The only writer of summaries. */
export async function writeSummary(t: SummaryTarget, s: DumpSummary): Promise<string> {
  const key = keyOfSummary(t.keyPrefix, s);
  await t.objects.put(key, JSON.stringify(s) + '\n', 'application/json');
  return key;
}

/** dump-info.json read back from a stored zip (a few ranged reads), for dumps the agent uploaded. */
export async function readStoredDumpInfo(t: SummaryTarget, name: string): Promise<{ info: Record<string, unknown>; zipBytes: number }> {
  const src = await storeZipSource(t.objects, objectKey(t.keyPrefix, name));
  const entry = entryEnding(await readEntries(src), '-dump-info.json');
  const info = entry ? (JSON.parse((await readEntry(src, entry)).toString('utf8')) as Record<string, unknown>) : { name };
  return { info: { ...info, name }, zipBytes: src.size };
}

/**
 * Writes the summary of a stored dump, logging the outcome; never throws (the dump is stored either
 * way, and lists from its zip key without one). `source` gives dump-info and the zip's size.
 */
export async function storeSummary(
  t: SummaryTarget, source: () => Promise<{ info: Record<string, unknown>; zipBytes: number | null }>, log: Logger,
): Promise<void> {
  try {
    const { info, zipBytes } = await source();
    const key = await writeSummary(t, summaryOf(info, zipBytes));
    log.info({ event: 'SummaryStored', key }, 'dump summary stored for cdh');
  } catch (e) {
    log.warn({ event: 'SummaryFailed', code: codeOf(e, 'CDC_SUMMARY_FAILED'), err: describeError(e) }, 'could not store the dump summary; cdh lists the dump from its key alone');
  }
}
