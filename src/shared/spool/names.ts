// The on-disk protocol between the composer and the agent: every file name the two exchange in
// CORE_DIR and EVENT_DIR, the object key of a dump, and the two documents they pass (the agent
// record and the partial-upload manifest). Nothing else spells these.
//
//   CORE_DIR/{name}.zip               a whole spooled zip (renamed into place when complete)
//   CORE_DIR/{name}.zip.part          the spooled zip while it is written (never uploaded)
//   CORE_DIR/{name}.zip.rest          the bytes after the parts S3 confirmed (S3 failed mid-stream)
//   CORE_DIR/{name}.zip.upload.json   the manifest for the rest; written last, so its presence
//                                     says the rest file is whole
//   EVENT_DIR/{name}.cdc.json         the agent record: a dump was stored or spooled
//   COMP_CORE_EVENT_DIR/{uuid}-event.json  the Rust original's core event file (opt-in)
//   CORE_DIR/.reservations/           spool space reserved by running composers (shared/spool-space.ts)
// Temp files of atomic writes are hidden (see files.ts) and never candidates.

export const ZIP_SUFFIX = '.zip';
export const PART_SUFFIX = '.part';
export const REST_SUFFIX = '.zip.rest';
export const MANIFEST_SUFFIX = '.zip.upload.json';
export const RECORD_SUFFIX = '.cdc.json';
export const CORE_EVENT_SUFFIX = '-event.json';
/** The spool's own state in CORE_DIR: not a dump, never uploaded, not counted as spool use. */
export const RESERVATIONS_DIR = '.reservations';

export interface DumpFileNames {
  readonly zip: string;
  readonly rest: string;
  readonly manifest: string;
  readonly record: string;
}

/** The bare file names of one dump (join them with CORE_DIR / EVENT_DIR). */
export function dumpFiles(name: string): DumpFileNames {
  return { zip: `${name}${ZIP_SUFFIX}`, rest: `${name}${REST_SUFFIX}`, manifest: `${name}${MANIFEST_SUFFIX}`, record: `${name}${RECORD_SUFFIX}` };
}

/** The file a spool file is written as until it is whole. */
export function partFile(finalName: string): string {
  return `${finalName}${PART_SUFFIX}`;
}

export function coreEventFile(uuid: string): string {
  return `${uuid}${CORE_EVENT_SUFFIX}`;
}

/** The S3 object key of a dump; `prefix` is S3_KEY_PREFIX as config made it ("" or "a/b/"). */
export function objectKey(prefix: string, name: string): string {
  return `${prefix}${name}${ZIP_SUFFIX}`;
}

/** The dump a CORE_DIR file belongs to, finished or not (hidden temp files included), if any. */
export function dumpNameOf(file: string): string | undefined {
  const bare = file.replace(/^\./, '').replace(/\.tmp-\d+-[0-9a-f]{8}$/, '');
  return /^(.+?)\.zip(?:\.part|\.rest|\.rest\.part|\.upload\.json)?$/.exec(bare)?.[1];
}

export type CandidateKind = 'zip' | 'partial';

/** What the agent may upload: a whole zip without a manifest beside it, or a manifest. */
export function candidateOf(file: string, present: ReadonlySet<string>): { kind: CandidateKind; name: string } | undefined {
  if (file.startsWith('.')) return undefined;
  if (file.endsWith(MANIFEST_SUFFIX)) return { kind: 'partial', name: file.slice(0, -MANIFEST_SUFFIX.length) };
  if (!file.endsWith(ZIP_SUFFIX)) return undefined;
  const name = file.slice(0, -ZIP_SUFFIX.length);
  // A zip with a manifest beside it is the manifest's business, never uploaded on its own.
  return present.has(dumpFiles(name).manifest) ? undefined : { kind: 'zip', name };
}

export type Storage = 's3' | 'spool' | 'partial';

export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/** EVENT_DIR/{name}.cdc.json: the composer tells the agent a dump exists (for a Kubernetes Event). */
export interface AgentRecord {
  readonly version: 1;
  readonly name: string;
  readonly zip: string;
  readonly storage: Storage;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly pod: PodRef | null;
  readonly container: string | null;
  readonly exe: string | null;
  readonly signal: number | null;
  readonly pid: number | null;
  readonly timestamp: number | null;
  /** Triage (issue 13); absent in records of older composers, which must still parse. */
  readonly crash?: CrashRecord;
}

/** The crash at a glance, for the Event message and the agent's metrics. */
export interface CrashRecord {
  /** "SIGSEGV at libfoo.so+0x1a2b in main" */
  readonly summary: string;
  readonly fingerprint: string;
  readonly signal: string | null;
  /** Crashes with this fingerprint in the rate window, this one included; null if not counted. */
  readonly count: number | null;
  readonly windowSec: number | null;
  /** Over COMP_RATE_LIMIT: the zip holds no core. */
  readonly coreless: boolean;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

/**
 * CORE_DIR/{name}.zip.upload.json: what the store confirmed, and where the rest is. S3 (no
 * `store`, as before issue 15): bucket, key, the multipart upload id, parts with their ETags.
 * Azure (`store: "azure"`): bucket is the container, key the blob, uploadId the block id tag,
 * and each part's `etag` is its staged block id.
 */
export interface PartialUploadManifest {
  readonly version: 1;
  readonly store?: 'azure';
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** The first part size; with no `schedule` (manifests before parts grew), every part's size. */
  readonly partSize: number;
  /** How parts grow (shared/part-schedule.ts): the rest is cut by it, continuing from part parts.length + 1. */
  readonly schedule?: { readonly maxBytes: number; readonly maxParts: number };
  readonly parts: UploadedPart[];
  /** A bare file name in the manifest's directory. */
  readonly restFile: string;
  readonly restBytes: number;
  readonly createdAt: string;
}

// The dump summaries (src/shared/dump-summary.ts): one small object per stored dump, beside the
// zips, whose KEY carries the summary, so that one ListObjectsV2 page (1,000 keys) lists 1,000
// dumps without a GET each. The time is written reversed so the listing comes newest first.
//
//   {prefix}cdh-index/v1/{reversed ms, 13 digits}_{uuid}_{base64url summary | "-"}
// "-": the summary did not fit the key's 1,024 bytes; the object's body holds it.
const SUMMARY_DIR = 'cdh-index/v1/';
const TIME_MAX = 9_999_999_999_999;
export const SUMMARY_IN_BODY = '-';

/** Where the summaries of `prefix` are listed. */
export function summaryPrefix(prefix: string): string {
  return `${prefix}${SUMMARY_DIR}`;
}

/** The key of one summary; `payload` is base64url (no "_" in the uuid, so "_" splits). */
export function summaryKey(prefix: string, timeMs: number, uuid: string, payload: string): string {
  const reversed = String(TIME_MAX - Math.max(0, Math.min(TIME_MAX, Math.round(timeMs)))).padStart(13, '0');
  return `${summaryPrefix(prefix)}${reversed}_${uuid.replace(/_/g, '-')}_${payload}`;
}

export function parseSummaryKey(prefix: string, key: string): { timeMs: number; uuid: string; payload: string } | undefined {
  if (!key.startsWith(summaryPrefix(prefix))) return undefined;
  const m = /^(\d{13})_([^_]+)_(.+)$/.exec(key.slice(summaryPrefix(prefix).length));
  return m ? { timeMs: TIME_MAX - Number(m[1]), uuid: m[2]!, payload: m[3]! } : undefined;
}

/** The dump name of a zip's object key under `prefix`, if it is one. */
export function nameOfObjectKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix) || !key.endsWith(ZIP_SUFFIX)) return undefined;
  const name = key.slice(prefix.length, -ZIP_SUFFIX.length);
  return name === '' || name.includes('/') ? undefined : name;
}
