// {name}-dump-info.json: the Rust original's fields (strings, same names) so existing tooling
// keeps parsing it, plus typed fields of ours.
import type { KernelArgs } from './args.ts';
import type { ProcFacts } from './proc.ts';
import type { CrashMetadata } from '../cri/index.ts';
import type { Codec } from '../shared/config.ts';
import { formatProblem } from '../shared/errors.ts';

export const TOOL_VERSION = '0.1.0';

export interface CoreOutcome {
  readonly entryName: string;
  readonly coreBytes: number;
  readonly storedBytes: number;
  readonly crc32: number;
  readonly truncated: boolean;
  readonly codec: Codec;
  readonly level: number;
  readonly stdinDrainedMs: number;
}

export interface DumpInfoInput {
  readonly uuid: string;
  readonly name: string;
  readonly args: KernelArgs;
  readonly proc: ProcFacts | undefined;
  readonly meta: CrashMetadata | undefined;
  readonly nodeHostname: string;
  readonly core: CoreOutcome;
}

export function buildDumpInfo(i: DumpInfoInput): Record<string, unknown> {
  const a = i.args;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    // The Rust original's fields, as strings.
    uuid: i.uuid,
    dump_file: i.core.entryName,
    timestamp: str(a.timestamp),
    hostname: str(a.hostname),
    exe: str(a.exeName),
    real_pid: str(a.pid),
    signal: str(a.signal),
    node_hostname: i.nodeHostname,
    path: str(a.pathname),
    // Ours, typed.
    name: i.name,
    global_pid: a.globalPid ?? null,
    tid: a.tid ?? null,
    global_tid: a.globalTid ?? null,
    uid: a.uid ?? i.proc?.uid ?? null,
    gid: a.gid ?? i.proc?.gid ?? null,
    dump_mode: a.dumpMode ?? null,
    rlimit_core: a.rlimitCoreRaw === undefined ? null : a.rlimitCore === undefined ? 'unlimited' : Number(a.rlimitCore),
    exe_path: i.proc?.exe ?? null,
    cmdline: i.proc?.cmdline ?? null,
    core_bytes: i.core.coreBytes,
    core_stored_bytes: i.core.storedBytes,
    // For zstd the zip entry holds the compressed frame, so its CRC is not the core's.
    core_crc32: i.core.codec === 'zstd' ? null : i.core.crc32,
    zip_entry_crc32: i.core.crc32,
    core_truncated: i.core.truncated,
    codec: i.core.codec,
    compression_level: i.core.codec === 'store' ? 0 : i.core.level,
    host_crash: i.meta?.hostCrash ?? null,
    container_id: i.meta?.containerId ?? null,
    container: i.meta?.container ?? null,
    image: i.meta?.image ?? null,
    image_ref: i.meta?.imageRef ?? null,
    pod: i.meta?.pod?.name ?? null,
    namespace: i.meta?.pod?.namespace ?? null,
    pod_uid: i.meta?.pod?.uid ?? null,
    proc_verified: i.proc?.verified ?? 'none',
    stdin_drained_ms: i.core.stdinDrainedMs,
    problems: [...a.problems, ...(i.proc?.problems ?? []), ...(i.meta?.problems ?? []).map(formatProblem)].slice(0, 50),
    tool: 'core-dump-handler',
    tool_version: TOOL_VERSION,
  };
}
