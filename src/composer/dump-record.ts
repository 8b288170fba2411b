// The record stage of a dump, once the sink holds it: files the composer leaves for others, made from
// the crash context. The agent record (EVENT_DIR/{name}.cdc.json) tells the agent a dump exists, so
// it can post a Kubernetes Event; the core event file ({uuid}-event.json, opt-in) is the Rust
// original's, for external consumers. Both are written atomically (shared/spool/files.ts). For a
// direct upload the dump summary for `cdh` is stored beside the zip (the agent does it for the others).
import path from 'node:path';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/log.ts';
import { codeOf, describeError } from '../shared/errors.ts';
import { coreEventFile, dumpFiles, ensureDirSync, writeFileAtomic, type AgentRecord } from '../shared/spool/index.ts';
import type { CrashContext } from './crash-context.ts';
import type { SinkResult } from './sinks/index.ts';
import type { CrashSummary } from './triage/dump-triage.ts';
import type { DumpInfo } from './dump-info.ts';
import { CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './sinks/index.ts';

export function agentRecord(ctx: CrashContext, result: SinkResult, crash?: CrashSummary, coreless = false): AgentRecord {
  const { args, meta } = ctx;
  return {
    version: 1,
    name: ctx.name,
    zip: dumpFiles(ctx.name).zip,
    storage: result.kind,
    bucket: result.kind === 'spool' ? null : result.bucket,
    key: result.kind === 'spool' ? null : result.key,
    pod: meta?.pod ? { name: meta.pod.name, namespace: meta.pod.namespace, uid: meta.pod.uid } : null,
    container: meta?.container ?? null,
    exe: args.exeName ?? null,
    signal: args.signal ?? null,
    pid: args.pid ?? null,
    timestamp: args.timestamp ?? null,
    ...(crash && { crash: {
      summary: crash.headline, fingerprint: crash.fingerprint, signal: crash.signalName ?? null,
      count: crash.count ?? null, windowSec: crash.windowSec ?? null, coreless,
    } }),
  };
}

/** The Rust original's `{uuid}-event.json` (COMP_CORE_EVENTS=true): its fields, as strings. */
export function coreEvent(ctx: CrashContext): Record<string, unknown> {
  const { args, meta } = ctx;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta?.pod?.labels ?? {})) if (k.startsWith('info.coredump')) labels[k] = v;
  const str = (v: number | undefined) => (v === undefined ? '' : String(v));
  return {
    image_list: meta?.imageRef ? [meta.imageRef] : [],
    key: dumpFiles(ctx.name).zip,
    exe_path: args.pathname ?? '',
    labels,
    limit_size: args.rlimitCoreRaw ?? '',
    exe_name: args.exeName ?? '',
    pid: str(args.pid),
    signal: str(args.signal),
    timestamp: str(args.timestamp),
    hostname: args.hostname ?? '',
    namespace: meta?.pod?.namespace ?? null,
    podname: meta?.pod?.name ?? null,
    uuid: ctx.uuid,
  };
}

async function writeJson(dir: string, file: string, doc: unknown): Promise<void> {
  ensureDirSync(dir);
  await writeFileAtomic(path.join(dir, file), JSON.stringify(doc) + '\n');
}

/** The summary of a dump the composer stored itself, in S3 or Azure (storeSummary never throws). */
async function recordSummary(result: SinkResult & { kind: 's3' }, dumpInfo: DumpInfo, config: Config, log: Logger): Promise<void> {
  // Loaded here, like the sinks: the store's SDK is already in memory after a direct upload.
  const [{ openObjectStore }, { storeSummary }] = await Promise.all([import('../shared/open-objects.ts'), import('../shared/dump-summary.ts')]);
  const objects = await openObjectStore(config, { requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS, attempts: 2 });
  try {
    await storeSummary({ objects, keyPrefix: config.s3.keyPrefix }, async () => ({ info: dumpInfo, zipBytes: result.bytes }), log);
  } finally {
    objects.close();
  }
}

/** Writes the agent record, the dump summary of a direct upload and, when enabled, the core event file. Never throws: the dump is stored. */
export async function recordDump(ctx: CrashContext, result: SinkResult, dumpInfo: DumpInfo, config: Config, log: Logger, crash?: CrashSummary, coreless = false): Promise<void> {
  if (result.kind === 's3') {
    await recordSummary(result, dumpInfo, config, log).catch((e: unknown) => {
      log.warn({ event: 'SummaryFailed', code: codeOf(e, 'CDC_SUMMARY_FAILED'), err: describeError(e) }, 'could not store the dump summary');
    });
  }
  try {
    await writeJson(config.eventDir, dumpFiles(ctx.name).record, agentRecord(ctx, result, crash, coreless));
  } catch (e) {
    log.warn({ event: 'AgentRecordFailed', code: codeOf(e, 'CDC_RECORD_FAILED'), err: describeError(e) }, 'could not tell the agent about the dump');
  }
  if (!config.coreEvents) return;
  try {
    await writeJson(config.coreEventDir, coreEventFile(ctx.uuid), coreEvent(ctx));
  } catch (e) {
    log.warn({ event: 'CoreEventFailed', code: codeOf(e, 'CDC_RECORD_FAILED'), err: describeError(e) }, 'could not write the core event file');
  }
}
