// {name}-dump-info.json: the Rust original's fields (strings, same names) so existing tooling
// keeps parsing it, plus typed fields of ours.
import type { Codec } from '../shared/config.ts';
import { formatProblem } from '../shared/errors.ts';
import type { CrashContext } from './crash-context.ts';
import type { TruncatedReason } from './core-source.ts';
import type { CrashSummary } from './triage/dump-triage.ts';

/** What triage adds: the crash's summary, and why the core is missing (rate limit). */
export interface TriageOutcome {
  readonly crash: CrashSummary | undefined;
  readonly coreOmitted: 'rate-limited' | undefined;
}

export const TOOL_VERSION = '0.1.0';

export interface CoreOutcome {
  readonly entryName: string;
  readonly coreBytes: number;
  /** Bytes read from the kernel: more than coreBytes when the entry was cut and the rest drained. */
  readonly seenBytes: number;
  readonly storedBytes: number;
  readonly crc32: number;
  readonly truncated: boolean;
  readonly truncatedReason: TruncatedReason | undefined;
  readonly codec: Codec;
  readonly level: number;
  readonly stdinDrainedMs: number;
}

export type DumpInfo = Record<string, unknown>;

export function buildDumpInfo(ctx: CrashContext, core: CoreOutcome, triage?: TriageOutcome): DumpInfo {
  const a = ctx.args;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    // The Rust original's fields, as strings.
    uuid: ctx.uuid,
    dump_file: core.entryName,
    timestamp: str(a.timestamp),
    hostname: str(a.hostname),
    exe: str(a.exeName),
    real_pid: str(a.pid),
    signal: str(a.signal),
    node_hostname: ctx.nodeHostname,
    path: str(a.pathname),
    // Ours, typed.
    name: ctx.name,
    global_pid: a.globalPid ?? null,
    tid: a.tid ?? null,
    global_tid: a.globalTid ?? null,
    uid: a.uid ?? ctx.proc?.uid ?? null,
    gid: a.gid ?? ctx.proc?.gid ?? null,
    dump_mode: a.dumpMode ?? null,
    rlimit_core: a.rlimitCoreRaw === undefined ? null : a.rlimitCore === undefined ? 'unlimited' : Number(a.rlimitCore),
    exe_path: ctx.proc?.exe ?? null,
    cmdline: ctx.proc?.cmdline ?? null,
    core_bytes: core.coreBytes,
    core_seen_bytes: core.seenBytes,
    core_stored_bytes: core.storedBytes,
    // For zstd the zip entry holds the compressed frame, so its CRC is not the core's.
    core_crc32: core.codec === 'zstd' ? null : core.crc32,
    zip_entry_crc32: core.crc32,
    core_truncated: core.truncated,
    core_truncated_reason: core.truncatedReason ?? null,
    codec: core.codec,
    compression_level: core.codec === 'store' ? 0 : core.level,
    host_crash: ctx.meta?.hostCrash ?? null,
    container_id: ctx.meta?.containerId ?? null,
    container: ctx.meta?.container ?? null,
    image: ctx.meta?.image ?? null,
    image_ref: ctx.meta?.imageRef ?? null,
    pod: ctx.meta?.pod?.name ?? null,
    namespace: ctx.meta?.pod?.namespace ?? null,
    pod_uid: ctx.meta?.pod?.uid ?? null,
    proc_verified: ctx.proc?.verified ?? 'none',
    stdin_drained_ms: core.stdinDrainedMs,
    core_omitted: triage?.coreOmitted ?? null,
    crash_summary: triage?.crash?.headline ?? null,
    crash_fingerprint: triage?.crash?.fingerprint ?? null,
    core_expected_bytes: triage?.crash?.expectedCoreBytes ?? null,
    problems: ctx.problems.slice(0, 50).map(formatProblem),
    tool: 'core-dump-handler',
    tool_version: TOOL_VERSION,
  };
}
