// {name}-crash.json: the crash at a glance, so nobody has to download the core to learn what
// crashed and where. Addresses are hex strings (64-bit values do not fit a JSON number).
import path from 'node:path';
import type { Analysis } from './analysis.ts';
import type { CoreFacts } from './core-reader.ts';
import { siteName } from './fingerprint.ts';
import { hasFaultAddress } from './signals.ts';

const MAX_MODULES_LISTED = 512;
const hex = (v: number | bigint) => `0x${v.toString(16)}`;

export interface Occurrence { readonly count: number; readonly windowSec: number }

export interface CrashDocInput {
  readonly facts: CoreFacts;
  readonly analysis: Analysis;
  /** Frame pc -> function name, from the modules' symbol tables. */
  readonly names: ReadonlyMap<number, string>;
  readonly occurrence: Occurrence | undefined;
  readonly problems: readonly string[];
  /** COMP_INCLUDE_PROC_INFO: the command line may be kept. */
  readonly includeArgs?: boolean;
}

/** "SIGSEGV at libfoo.so+0x1a2b in main": the one-line summary (Event message, logs). */
export function headline(a: Analysis, names: ReadonlyMap<number, string>): string {
  const top = a.frames[0];
  if (!top) return a.signalName ?? 'unknown signal';
  const fn = names.get(top.pc);
  return `${a.signalName ?? `signal ${a.signal ?? '?'}`} at ${siteName({ module: top.module?.path, offset: top.offset })}${fn ? ` in ${fn.replace(/\+0x[0-9a-f]+$/, '')}` : ''}`;
}

export function crashDoc(d: CrashDocInput): Record<string, unknown> {
  const { facts: f, analysis: a } = d;
  const thread = f.threads[0];
  const si = f.siginfo;
  return {
    version: 1,
    summary: headline(a, d.names),
    fingerprint: a.fingerprint,
    fingerprint_input: a.fingerprintInput,
    occurrence: d.occurrence ? { count: d.occurrence.count, window_seconds: d.occurrence.windowSec } : null,
    signal: {
      number: a.signal ?? null, name: a.signalName ?? null, code: si?.code ?? null, code_name: a.codeName ?? null,
      fault_address: si?.addr !== undefined && hasFaultAddress(si.signo) ? hex(si.addr) : null,
    },
    machine: f.machine ?? null,
    executable: a.exe ? { path: a.exe.path, build_id: a.exe.buildId ?? null } : null,
    // The core's own copy of the command line (pr_psargs) holds what --password=... holds: opt-in only.
    process: f.psinfo ? { name: f.psinfo.fname, args: d.includeArgs ? f.psinfo.args : null } : null,
    thread_count: f.threadCount,
    crashing_thread: thread ? { tid: thread.tid, registers: Object.fromEntries([...thread.regs].map(([k, v]) => [k, hex(v)])) } : null,
    frame_pointers: a.framePointers,
    frames_note: a.framePointers ? null : 'no frame-pointer chain: the PC alone, not a guessed stack',
    frames: a.frames.map((x, i) => ({
      index: i, pc: hex(x.pc), module: x.module?.path ?? null, offset: hex(x.offset), build_id: x.module?.buildId ?? null,
      function: d.names.get(x.pc) ?? null, via: x.via,
    })),
    modules: a.modules.slice(0, MAX_MODULES_LISTED).map((m) => ({
      path: m.path, name: path.basename(m.path), base: hex(m.base), end: hex(m.end), build_id: m.buildId ?? null, package: m.package ?? null,
    })),
    core: { expected_bytes: f.expectedCoreBytes ?? null, seen_bytes: f.seenBytes },
    problems: d.problems.slice(0, 50),
  };
}
