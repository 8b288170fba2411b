// The store's dumps, as cdh sees them: the summaries (their keys carry them, newest first), joined
// with the zips (a zip without a summary still lists, from its key) and the uploads still open (a
// dump being uploaded: an S3 multipart upload, an Azure blob with only staged blocks). Nothing here
// downloads a zip. The same for every store (shared/object-store.ts).
import { summaryFromKey, type DumpSummary } from '../shared/dump-summary.ts';
import { getText } from '../shared/object-store.ts';
import { nameOfObjectKey, objectKey, parseSummaryKey, summaryPrefix, SUMMARY_IN_BODY } from '../shared/spool/names.ts';
import { CdcError } from '../shared/errors.ts';
import type { Store } from './store.ts';

export type DumpState = 'stored' | 'uploading';

export interface Dump extends DumpSummary {
  /** The zip's object key. */
  readonly key: string;
  readonly summaryKey: string | null;
  readonly state: DumpState;
}

export interface TimeWindow {
  readonly since?: number;
  readonly until?: number;
}

const UUID_AT_START = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * Every summary key, newest first. All of them even for --since/--until: a zip is known to have a
 * summary only by seeing it, and its summary's crash time may lie outside the window its upload
 * time is in. At 1,000 keys a page this costs little next to listing the zips.
 */
async function listSummaries(store: Store): Promise<Array<{ key: string; summary: DumpSummary | undefined }>> {
  const out: Array<{ key: string; summary: DumpSummary | undefined }> = [];
  for await (const o of store.objects.list(summaryPrefix(store.keyPrefix))) {
    const parsed = parseSummaryKey(store.keyPrefix, o.key);
    if (parsed) out.push({ key: o.key, summary: parsed.payload === SUMMARY_IN_BODY ? undefined : summaryFromKey(store.keyPrefix, o.key) });
  }
  return out;
}

/** Summaries too long for their key: read from their bodies, a few at a time. */
async function fillFromBodies(store: Store, rows: Array<{ key: string; summary: DumpSummary | undefined }>): Promise<void> {
  const todo = rows.filter((r) => r.summary === undefined && parseSummaryKey(store.keyPrefix, r.key)?.payload === SUMMARY_IN_BODY);
  const next = async (): Promise<void> => {
    for (let r = todo.shift(); r; r = todo.shift()) {
      const text = await getText(store.objects, r.key);
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = undefined; }
      r.summary = summaryFromKey(store.keyPrefix, r.key, body);
    }
  };
  await Promise.all(Array.from({ length: 8 }, next));
}

async function listZips(store: Store): Promise<Map<string, { key: string; size: number; time: number }>> {
  const zips = new Map<string, { key: string; size: number; time: number }>();
  for await (const o of store.objects.list(store.keyPrefix, { delimiter: '/' })) {
    const name = nameOfObjectKey(store.keyPrefix, o.key);
    if (name) zips.set(name, { key: o.key, size: o.size, time: o.modifiedMs });
  }
  return zips;
}

async function listUploads(store: Store): Promise<Map<string, { key: string; time: number }>> {
  const open = new Map<string, { key: string; time: number }>();
  for await (const u of store.objects.listUploading(store.keyPrefix, { delimiter: '/' })) {
    const name = nameOfObjectKey(store.keyPrefix, u.key);
    if (name) open.set(name, { key: u.key, time: u.startedMs });
  }
  return open;
}

/** What a zip key alone says about a dump (no summary: an older dump, or its summary failed). */
function bareDump(name: string, key: string, time: number, state: DumpState, zipBytes: number | null): Dump {
  return {
    uuid: UUID_AT_START.exec(name)?.[0].toLowerCase() ?? name, name, time, key, summaryKey: null, state,
    node: null, namespace: null, pod: null, container: null, image: null, exe: null, signal: null, coreBytes: null, zipBytes,
  };
}

const inWindow = (t: number, w: TimeWindow) => (w.since === undefined || t >= w.since) && (w.until === undefined || t <= w.until);

/** Every dump in the window, newest first. */
export async function listDumps(store: Store, w: TimeWindow = {}): Promise<Dump[]> {
  const [summaries, zips, uploads] = await Promise.all([listSummaries(store), listZips(store), listUploads(store)]);
  await fillFromBodies(store, summaries);
  const dumps: Dump[] = [];
  const seen = new Set<string>();
  for (const { key, summary } of summaries) {
    const zip = summary && zips.get(summary.name);
    if (!summary || !zip || seen.has(summary.name)) continue; // a summary outlives its zip only if someone deleted the zip
    seen.add(summary.name);
    if (inWindow(summary.time, w)) dumps.push({ ...summary, key: zip.key, summaryKey: key, state: 'stored', zipBytes: zip.size });
  }
  for (const [name, z] of zips) if (!seen.has(name) && inWindow(z.time, w)) dumps.push(bareDump(name, z.key, z.time, 'stored', z.size));
  for (const [name, u] of uploads) if (!zips.has(name) && inWindow(u.time, w)) dumps.push(bareDump(name, u.key, u.time, 'uploading', null));
  return dumps.sort((a, b) => b.time - a.time || a.uuid.localeCompare(b.uuid));
}

/** The one dump an ID names: its object key, its uuid, or a unique prefix of the uuid (or name). */
export function resolveId(dumps: readonly Dump[], id: string, keyPrefix: string): Dump {
  const want = id.toLowerCase();
  const exact = dumps.filter((d) => d.key === id || d.name === id || d.uuid === want || d.key === objectKey(keyPrefix, id.replace(/\.zip$/, '')));
  const matches = exact.length > 0 ? exact : dumps.filter((d) => d.uuid.toLowerCase().startsWith(want) || d.name.toLowerCase().startsWith(want));
  const stored = matches.filter((d) => d.state === 'stored');
  if (stored.length === 1) return stored[0]!;
  if (stored.length > 1) {
    const some = stored.slice(0, 4).map((d) => d.uuid).join(', ');
    throw new CdcError('CDC_CLI_ID_AMBIGUOUS', `"${id}" matches ${stored.length} dumps: ${some}${stored.length > 4 ? ', ...' : ''}`);
  }
  if (matches.length > 0) throw new CdcError('CDC_CLI_UPLOADING', `dump ${matches[0]!.name} is still being uploaded`);
  throw new CdcError('CDC_CLI_ID_UNKNOWN', `no dump matches "${id}"`);
}
