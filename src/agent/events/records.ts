// The composer's records (EVENT_DIR/{name}.cdc.json) -> Kubernetes Events.
// Stateless on purpose, so an agent restart loses nothing: a record is posted when its dump is in
// S3, which is "storage: s3", or, for a spooled or partial dump, when no file of that dump is left in
// CORE_DIR (the uploader deletes local files only after S3 confirmed them). Then it is deleted.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../shared/log.ts';
import { codeOf, describeError } from '../../shared/errors.ts';
import { objectKey, readRegularText, RECORD_SUFFIX, type AgentRecord, type CrashRecord } from '../../shared/spool/index.ts';
import type { AgentMetrics } from '../health/metrics.ts';
import { postEvent, type CoreDumpEvent, type KubeApi } from './k8s-client.ts';

const STORAGES: readonly string[] = ['s3', 'spool', 'partial'];

/** A record is a few hundred bytes; anything far larger is not the composer's. */
const MAX_RECORD_BYTES = 64 * 1024;

export interface RecordProcessorOptions {
  eventDir: string;
  /** The S3 bucket or the Azure container. */
  bucket: string | undefined;
  /** Absent: S3. */
  store?: 's3' | 'azure';
  keyPrefix: string;
  nodeName: string | undefined;
  /** Resolved lazily and again after a failure (the token rotates); undefined outside a cluster. */
  api: () => Promise<KubeApi | undefined>;
  log: Logger;
  metrics: AgentMetrics;
  /** A record that cannot be posted for this long is dropped with an error log, not kept forever. */
  maxAgeMs: number;
  now?: () => number;
}

const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
const span = (sec: number) => (sec % 3600 === 0 ? `${sec / 3600} h` : sec % 60 === 0 ? `${sec / 60} min` : `${sec} s`);

/** "SIGSEGV at libfoo.so+0x1a2b in main (fingerprint 3f2c..., 3rd time in 1 h)", from a record's triage. */
export function crashLine(c: CrashRecord): string {
  const times = c.count !== null && c.windowSec !== null ? `, ${ordinal(c.count)} time in ${span(c.windowSec)}` : '';
  return `${c.summary} (fingerprint ${c.fingerprint}${times})`;
}

export function message(r: AgentRecord, bucket: string | undefined, key: string, store: 's3' | 'azure' = 's3'): string {
  const where = `${store}://${r.bucket ?? bucket ?? '?'}/${key}`;
  const c = typeof r.crash?.summary === 'string' && typeof r.crash.fingerprint === 'string' ? r.crash : undefined;
  // Which container of the pod: a pod with several says it here, not only in the zip.
  const of = r.container ? ` of container ${r.container}` : '';
  if (c) return `${crashLine(c)}; ${c.coreless ? 'over the rate limit, crash report without core' : 'core dump'}${of} stored at ${where}`;
  const what = [r.container && `container ${r.container}`, r.exe && `exe ${r.exe}`, r.signal != null && `signal ${r.signal}`].filter(Boolean).join(', ');
  return `Core dump stored at ${where}${what ? ` (${what})` : ''}`;
}

export async function processRecords(o: RecordProcessorOptions, spoolNames: Set<string>): Promise<void> {
  const files = (await fs.readdir(o.eventDir).catch(() => [] as string[])).filter((f) => f.endsWith(RECORD_SUFFIX) && !f.startsWith('.'));
  for (const file of files) {
    const full = path.join(o.eventDir, file);
    let record: AgentRecord;
    let mtimeMs: number;
    try {
      const read = await readRegularText(full, MAX_RECORD_BYTES);
      [record, mtimeMs] = [JSON.parse(read.text) as AgentRecord, read.mtimeMs];
    } catch (e) {
      o.log.warn({ event: 'EventRecordInvalid', code: codeOf(e, 'CDC_RECORD_INVALID'), file, err: describeError(e) }, 'unreadable record removed');
      await fs.rm(full, { force: true });
      continue;
    }
    const name = typeof record.name === 'string' ? record.name : file.slice(0, -RECORD_SUFFIX.length);
    if (record.storage !== 's3' && spoolNames.has(name)) continue; // not uploaded yet
    const key = record.key ?? objectKey(o.keyPrefix, name);
    await postOne(o, record, key, full, mtimeMs);
  }
}

async function postOne(o: RecordProcessorOptions, record: AgentRecord, key: string, full: string, mtimeMs: number): Promise<void> {
  const done = async (outcome: string) => {
    o.metrics.events.inc({ outcome });
    o.metrics.dumps.inc({ storage: STORAGES.includes(record.storage) ? record.storage : 'unknown' }); // bounded labels
    o.metrics.countCrash(record);
    await fs.rm(full, { force: true });
  };
  const pod = record.pod;
  const api = pod ? await o.api().catch(() => undefined) : undefined;
  if (!pod || !api) {
    o.log.info({ event: 'EventSkipped', key, reason: pod ? 'not in a cluster' : 'host crash, no pod' }, 'no Kubernetes event for this dump');
    return done('skipped');
  }
  const event: CoreDumpEvent = { pod, reason: 'CoreDumpStored', message: message(record, o.bucket, key, o.store), type: 'Warning', node: o.nodeName, at: new Date() };
  try {
    await postEvent(api, event);
    o.log.info({ event: 'EventPosted', pod: `${pod.namespace}/${pod.name}`, key }, 'Kubernetes event posted');
    await done('posted');
  } catch (e) {
    const age = (o.now ? o.now() : Date.now()) - mtimeMs;
    if (age > o.maxAgeMs) {
      o.log.error({ event: 'EventDropped', code: 'CDC_EVENT_FAILED', pod: `${pod.namespace}/${pod.name}`, key, err: describeError(e) }, 'Kubernetes event could not be posted; record dropped');
      await done('dropped');
    } else {
      o.metrics.events.inc({ outcome: 'failed' });
      o.log.warn({ event: 'EventPostFailed', code: 'CDC_EVENT_FAILED', pod: `${pod.namespace}/${pod.name}`, key, err: describeError(e) }, 'Kubernetes event not posted; will retry');
    }
  }
}
