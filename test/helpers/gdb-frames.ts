// gdb's view of a core's crashing thread: each frame's pc and function (gdb -batch, no Python), to
// compare triage's frames with.
import { execFileSync } from 'node:child_process';

export interface GdbFrame { pc: bigint; fn: string | undefined }

export function gdbBacktrace(program: string, core: string): string {
  return execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', program, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The crashing thread's frames as gdb unwinds them (with debuginfo and CFI), up to main. */
export function gdbFrames(program: string, core: string): GdbFrame[] {
  const out = execFileSync('gdb', ['-batch', '-nx', '-ex', 'frame apply all -q p $pc', program, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const frames: GdbFrame[] = [];
  for (const m of out.matchAll(/^\$\d+ = \(.*?\) (0x[0-9a-f]+)(?: <([^+>]+)(?:\+\d+)?>)?$/gm)) frames.push({ pc: BigInt(m[1]!), fn: m[2] });
  return frames;
}
