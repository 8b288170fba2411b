// A real crash, end to end: corefill forks a child that fills N MiB and segfaults; the kernel
// pipes its core to the handler in core_pattern; the parent times crash -> waitpid() (the time
// the crashed process is held unreaped). Done alternately with the installed composer (direct,
// deflate-1, into the bench bucket) and with a handler that only drains the core (`cat > /dev/null`),
// so the difference is what the composer adds beyond draining. Also crash -> object stored.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withCorePattern } from '../../test/helpers/core-pattern.ts';
import { installComposer, NODE, type InstalledComposer } from '../../test/helpers/composer-install.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';
import { composerS3Env, type BenchS3 } from '../lib/s3.ts';
import { BIN } from '../lib/paths.ts';
import { codeFiles, type Tools } from '../lib/tools.ts';

/** A small core (the common case) and a mid-size one, where compression time starts to show. */
export const HOLD_FILL_MIBS = [4, 64] as const;

export interface HoldResult {
  fillMiB: number;
  crashes: number;
  drainHeldMs: number[]; // crash -> reaped, drain-only handler
  composerHeldMs: number[]; // crash -> reaped, composer
  noTriageHeldMs: number[]; // crash -> reaped, composer with COMP_TRIAGE=false (issue 13: triage adds <= 30 ms)
  composerDrainedMs: number[]; // composer start -> stdin drained (its CoreDrained.heldMs)
  crashToStoredMs: number[]; // crash -> composer's DumpFinished (object completed in S3)
  coreBytes: number;
  pipeLimit: string;
}

/** `corefill hold` for one crash of a `fillMiB` process: its arguments, and its line read back. */
export function holdArgs(fillMiB: number): string[] {
  return ['hold', String(fillMiB), '1', ...codeFiles(NODE)];
}

/** corefill's "crash-wall-clock-ms held-us" line as [crash wall-clock ms, held ms]. */
export function parseHold(status: number | null, stdout: string, stderr: string): [number, number] {
  const m = /^(\d+) (\d+)$/m.exec(stdout);
  if (status !== 0 || !m) throw new Error(`corefill hold failed (exit ${status}): ${stderr}`);
  return [Number(m[1]), Number(m[2]) / 1000];
}

/** Crashes once under the current core_pattern; returns [crash wall-clock ms, held ms]. */
export function crashOnce(tools: Tools, fillMiB: number): [number, number] {
  const r = spawnSync(tools.corefill, holdArgs(fillMiB), { encoding: 'utf8' });
  return parseHold(r.status, r.stdout, r.stderr);
}

/** The drain-only handler: reads the core and throws it away, the baseline every hold is judged by. */
export function drainHandler(): string {
  const drain = path.join(BIN, 'drain-core');
  fs.writeFileSync(drain, '#!/bin/sh\nexec /bin/cat > /dev/null\n', { mode: 0o755 });
  return drain;
}

/** One crash through an installed composer; waits for its DumpFinished, which must say stored. */
export async function crashThrough(inst: InstalledComposer, tools: Tools, fillMiB: number): Promise<{ crashMs: number; heldMs: number; lines: Array<Record<string, unknown>> }> {
  return withCorePattern(inst.pattern, async () => {
    const before = inst.log().length;
    const [crashMs, heldMs] = crashOnce(tools, fillMiB);
    const done = await waitFor('the composer to finish', () => inst.log().slice(before).find((l) => l.event === 'DumpFinished'), 120_000);
    if (done.outcome !== 'stored') throw new Error(`composer outcome ${String(done.outcome)} (${String(done.err)}), wanted stored`);
    return { crashMs, heldMs, lines: inst.log().slice(before) };
  });
}

export async function runKernelHold(tools: Tools, s3: BenchS3, crashes: number, log: (s: string) => void, fillMiB: number): Promise<HoldResult> {
  const drain = drainHandler();
  const deflate1 = { ...composerS3Env(s3), COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1' };
  const inst = installComposer(deflate1);
  const noTriage = installComposer({ ...deflate1, COMP_TRIAGE: 'false' });
  const out: HoldResult = {
    fillMiB, crashes, drainHeldMs: [], composerHeldMs: [], noTriageHeldMs: [], composerDrainedMs: [], crashToStoredMs: [], coreBytes: 0,
    pipeLimit: fs.readFileSync('/proc/sys/kernel/core_pipe_limit', 'utf8').trim(),
  };
  try {
    for (let i = 0; i < crashes; i++) {
      // Alternate the two handlers so machine noise falls on both alike.
      await withCorePattern(`|${drain}`, async () => {
        out.drainHeldMs.push(crashOnce(tools, fillMiB)[1]);
      });
      const full = await crashThrough(inst, tools, fillMiB);
      out.composerHeldMs.push(full.heldMs);
      const drained = full.lines.find((l) => l.event === 'CoreDrained');
      out.composerDrainedMs.push(Number(drained?.heldMs));
      out.coreBytes = Number(drained?.bytes);
      out.crashToStoredMs.push(Number(full.lines.find((l) => l.event === 'DumpFinished')!.time) - full.crashMs);
      out.noTriageHeldMs.push((await crashThrough(noTriage, tools, fillMiB)).heldMs);
      await s3.clear();
      log(`  crash ${i + 1}/${crashes}: drain-only held ${out.drainHeldMs.at(-1)!.toFixed(0)} ms, composer held ${out.composerHeldMs.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    inst.remove();
    noTriage.remove();
  }
  return out;
}
