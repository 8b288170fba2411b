// What the core's facts say about the crash, without touching any file: signal, the crashing
// thread, frames as module + offset, the executable and the fingerprint. Pure, so the same facts
// always give the same answer (the fingerprint at upload time equals the one in crash.json).
import path from 'node:path';
import type { CoreFacts } from './core-reader.ts';
import { fingerprint, fingerprintInput } from './fingerprint.ts';
import { walkFrames } from './frames.ts';
import { moduleAt, modulesOf, type Module } from './modules.ts';
import { signalName, sigCodeName } from './signals.ts';

const AT_ENTRY = 9;

export interface Frame {
  readonly pc: number;
  readonly via: 'pc' | 'lr' | 'sp' | 'fp';
  readonly module: Module | undefined;
  readonly offset: number;
}

export interface Analysis {
  readonly signal: number | undefined;
  readonly signalName: string | undefined;
  readonly codeName: string | undefined;
  readonly exe: Module | undefined;
  readonly modules: readonly Module[];
  readonly frames: readonly Frame[];
  readonly framePointers: boolean;
  readonly fingerprintInput: readonly string[];
  readonly fingerprint: string;
}

export function analyse(f: CoreFacts, fallbackExe: string | undefined): Analysis {
  const modules = modulesOf(f.files, f.firstPages);
  const thread = f.threads[0];
  const walk = thread && f.machine
    ? walkFrames({ machine: f.machine, regs: thread.regs, stack: f.stack, segments: f.segments })
    : { frames: [], framePointers: false };
  const frames = walk.frames.map((r) => {
    const module = moduleAt(f.files, modules, r.pc);
    return { ...r, module, offset: module ? r.pc - module.base : r.pc };
  });
  const entry = f.auxv.get(AT_ENTRY);
  const exe = entry === undefined ? undefined : moduleAt(f.files, modules, entry);
  const signal = f.siginfo?.signo || thread?.signal || undefined;
  const exeId = exe?.buildId ?? (exe ? path.basename(exe.path) : f.psinfo?.fname || fallbackExe || '?');
  const input = fingerprintInput(exeId, signal, frames.map((x) => ({ module: x.module?.path, offset: x.offset })));
  return {
    signal, signalName: signalName(signal), codeName: sigCodeName(signal, f.siginfo?.code),
    exe, modules, frames, framePointers: walk.framePointers, fingerprintInput: input, fingerprint: fingerprint(input),
  };
}
