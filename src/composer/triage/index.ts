// Triage of one crash, read from the core as it streams by: `observe` is fed every chunk by the core
// source; `early()` says what is known before the upload is created (S3 metadata); `finish()` runs
// once the core is drained: it names the frames from the module files opened while the process was
// still held, and gives crash.json's content. Nothing here can fail the dump: every failure becomes
// a problem in crash.json.
import { analyse, type Analysis } from './analysis.ts';
import { CoreReader, type CoreFacts } from './core-reader.ts';
import { closeModules, openModules, symbolise, type OpenModule } from './symbols.ts';
import type { Module } from './modules.ts';

/** How long finish() may spend reading symbol tables (after the crashed process is released). */
export const SYMBOL_BUDGET_MS = 300;

export interface TriageResult {
  readonly facts: CoreFacts;
  readonly analysis: Analysis;
  /** Frame pc -> function name. */
  readonly names: ReadonlyMap<number, string>;
  readonly problems: readonly string[];
}

export interface Early { readonly signal: string | undefined; readonly fingerprint: string | undefined }

export interface Triage {
  readonly observe: (chunk: Buffer) => void;
  /** The core's size from its program headers, once read (see CoreReader.sizeFromHeaders). */
  coreSize(): number | undefined;
  /** Triage needs the crashed process no more: its notes are read and the modules they name opened (or never will be). */
  pastNotes(): boolean;
  early(): Early;
  finish(): Promise<TriageResult>;
}

export function startTriage(opts: { pid: number | undefined; exeName: string | undefined }): Triage {
  let atStack: Analysis | undefined;
  let signal: string | undefined;
  let opened: OpenModule[] = [];
  const problems: string[] = [];
  const openErrors: string[] = [];
  const reader = new CoreReader({
    onNotes: (f) => {
      const a = analyse(f, opts.exeName);
      signal = a.signalName;
      // Opened now, synchronously, before the frames are known: the kernel lets the process go as
      // soon as the last of the core fits the pipe, which is before the stack (near the core's end)
      // has been read. The module of the PC first, then the executable, then the rest.
      const mods = [...new Set([a.frames[0]?.module, a.exe, ...a.modules].filter((m): m is Module => m !== undefined))];
      const mapEnd = (m: Module) => f.files.find((x) => x.start === m.base)?.end ?? m.end;
      if (opts.pid !== undefined && mods.length) opened = openModules(opts.pid, mods, mapEnd, openErrors);
    },
    onStack: (f) => { atStack = analyse(f, opts.exeName); },
  });
  let result: Promise<TriageResult> | undefined;
  return {
    observe: (chunk) => reader.observe(chunk),
    coreSize: () => reader.sizeFromHeaders,
    pastNotes: () => reader.pastNotes,
    early: () => ({ signal, fingerprint: atStack?.fingerprint }),
    finish() {
      result ??= (async () => {
        const facts = reader.finish();
        const analysis = analyse(facts, opts.exeName);
        const names = new Map<number, string>();
        const deadline = Date.now() + SYMBOL_BUDGET_MS;
        try {
          for (const o of opened) {
            const frames = analysis.frames.filter((x) => x.module?.path === o.module.path);
            if (!frames.length) continue;
            const found = await symbolise(o.fd, frames.map((x) => x.offset), deadline).catch((e: Error) => {
              problems.push(`symbols of ${o.module.path}: ${e.message}`);
              return new Map<number, string>();
            });
            for (const x of frames) { const n = found.get(x.offset); if (n) names.set(x.pc, n); }
          }
        } finally {
          closeModules(opened);
        }
        if (analysis.frames.length && opts.pid !== undefined && !opened.length) problems.push(`no module file could be opened for symbols (${openErrors.join('; ')})`);
        return { facts, analysis, names, problems: [...facts.problems, ...problems] };
      })();
      return result;
    },
  };
}
