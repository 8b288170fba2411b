// The crashing thread's frames without debuginfo: the PC, then the frame-pointer chain over the
// captured stack window (rbp on x86_64, x29 on aarch64). A leaf function keeps no frame record:
// its return address is still in LR (aarch64) or at the stack pointer (x86_64), so when that is code
// and differs from the chain's first return address it becomes frame 1. Without a usable chain
// (no frame pointers) only the PC is given: a guessed stack would mislead more than it helps.
import { PF_X, type Machine } from './elf.ts';
import type { Segment } from './core-reader.ts';

export const MAX_FRAMES = 64;

export type FrameSource = 'pc' | 'lr' | 'sp' | 'fp';
export interface RawFrame { readonly pc: number; readonly via: FrameSource }

export interface Walk {
  readonly frames: readonly RawFrame[];
  /** Whether a frame-pointer chain was found; false means frames holds the PC alone. */
  readonly framePointers: boolean;
}

export interface WalkInput {
  readonly machine: Machine;
  readonly regs: ReadonlyMap<string, bigint>;
  readonly stack: { readonly base: number; readonly bytes: Buffer } | undefined;
  readonly segments: readonly Segment[];
}

const num = (v: bigint | undefined) => (v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v));

export function walkFrames(w: WalkInput): Walk {
  const x86 = w.machine === 'x86_64';
  const pc = num(w.regs.get(x86 ? 'rip' : 'pc'));
  if (pc === undefined) return { frames: [], framePointers: false };
  const frames: RawFrame[] = [{ pc, via: 'pc' }];
  const isCode = (a: number | undefined): a is number => a !== undefined && a !== 0 &&
    w.segments.some((s) => (s.flags & PF_X) !== 0 && a >= s.vaddr && a < s.vaddr + s.memsz);
  const st = w.stack;
  const read = (a: number): number | undefined => {
    if (!st || a % 8 !== 0 || a < st.base || a + 8 > st.base + st.bytes.length) return undefined;
    return num(st.bytes.readBigUInt64LE(a - st.base));
  };
  let fp = num(w.regs.get(x86 ? 'rbp' : 'x29'));
  const firstRet = fp === undefined ? undefined : read(fp + 8);
  if (fp === undefined || !isCode(firstRet)) return { frames, framePointers: false };

  const leaf = x86 ? read(st!.base) : num(w.regs.get('x30'));
  if (isCode(leaf) && leaf !== firstRet && leaf !== pc) frames.push({ pc: leaf, via: x86 ? 'sp' : 'lr' });
  while (frames.length < MAX_FRAMES) {
    const ret = read(fp + 8), next = read(fp);
    if (!isCode(ret)) break;
    frames.push({ pc: ret, via: 'fp' });
    if (next === undefined || next <= fp) break; // the chain runs up the stack, or it ends
    fp = next;
  }
  return { frames, framePointers: true };
}
