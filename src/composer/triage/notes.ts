// The core's PT_NOTE segment, parsed as it streams by: a small state machine keeps only the notes
// triage uses (each under a size cap) and skips the rest, so a note segment of any size (a
// thousand threads' register sets) costs bounded memory. The decoders read the kept notes.
import { align4, u64, type Machine } from './elf.ts';

export const NT_PRSTATUS = 1;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

/** The largest note of each kind kept; a bigger one is counted as skipped. */
const KEEP: Record<number, number> = { [NT_PRSTATUS]: 1024, [NT_PRPSINFO]: 512, [NT_AUXV]: 16 << 10, [NT_SIGINFO]: 512, [NT_FILE]: 4 << 20 };
/** Register sets kept beyond the first (crashing) thread's: only the count of the rest is needed. */
const MAX_THREADS_KEPT = 64;

export interface RawNotes {
  prstatus: Buffer[];
  threadCount: number;
  prpsinfo?: Buffer;
  auxv?: Buffer;
  siginfo?: Buffer;
  file?: Buffer;
  /** Notes of a kind we keep that were over their cap, or cut off by the segment's end. */
  skipped: number;
}


export class NoteStream {
  readonly notes: RawNotes = { prstatus: [], threadCount: 0, skipped: 0 };
  private head = Buffer.alloc(12);
  private headFill = 0;
  private name = '';
  private type = 0;
  private descsz = 0;
  /** Bytes of the current note's name+padding, then desc+padding, still to come. */
  private skipName = 0;
  private descLeft = 0;
  private desc: Buffer | undefined;
  private descFill = 0;
  private nameBuf = Buffer.alloc(8);
  private nameFill = 0;
  private nameLen = 0;

  /** Feeds the next bytes of the note segment. */
  push(b: Buffer): void {
    let at = 0;
    while (at < b.length) {
      if (this.skipName === 0 && this.descLeft === 0) {
        const n = Math.min(12 - this.headFill, b.length - at);
        b.copy(this.head, this.headFill, at, at + n);
        this.headFill += n;
        at += n;
        if (this.headFill === 12) this.startNote();
        continue;
      }
      if (this.skipName > 0) {
        const n = Math.min(this.skipName, b.length - at);
        const keep = Math.min(n, Math.max(0, this.nameLen - this.nameFill));
        if (keep > 0) { b.copy(this.nameBuf, this.nameFill, at, at + keep); this.nameFill += keep; }
        this.skipName -= n;
        at += n;
        if (this.skipName === 0) this.name = this.nameBuf.toString('latin1', 0, this.nameFill).replace(/\0+$/, '');
        if (this.skipName === 0 && this.descLeft === 0) this.endNote();
        continue;
      }
      const n = Math.min(this.descLeft, b.length - at);
      if (this.desc && this.descFill < this.descsz) {
        const keep = Math.min(n, this.descsz - this.descFill);
        b.copy(this.desc, this.descFill, at, at + keep);
        this.descFill += keep;
      }
      this.descLeft -= n;
      at += n;
      if (this.descLeft === 0) this.endNote();
    }
  }

  /** The segment ended; a note still open was cut off. */
  end(): void {
    if (this.headFill > 0 || this.skipName > 0 || this.descLeft > 0) this.notes.skipped++;
  }

  private startNote(): void {
    const namesz = this.head.readUInt32LE(0);
    this.descsz = this.head.readUInt32LE(4);
    this.type = this.head.readUInt32LE(8);
    this.headFill = 0;
    this.nameLen = Math.min(namesz, this.nameBuf.length);
    this.nameFill = 0;
    this.name = '';
    this.skipName = align4(namesz);
    this.descLeft = align4(this.descsz);
    const cap = KEEP[this.type];
    if (this.type === NT_PRSTATUS) this.notes.threadCount++;
    const wanted = cap !== undefined && (this.type !== NT_PRSTATUS || this.notes.prstatus.length < MAX_THREADS_KEPT);
    if (wanted && this.descsz > cap!) this.notes.skipped++;
    this.desc = wanted && this.descsz <= cap! ? Buffer.alloc(this.descsz) : undefined;
    this.descFill = 0;
    if (this.skipName === 0 && this.descLeft === 0) this.endNote();
  }

  private endNote(): void {
    const d = this.desc;
    this.desc = undefined;
    if (!d || this.name !== 'CORE') return;
    const n = this.notes;
    switch (this.type) {
      case NT_PRSTATUS: n.prstatus.push(d); break;
      case NT_PRPSINFO: n.prpsinfo ??= d; break;
      case NT_AUXV: n.auxv ??= d; break;
      case NT_SIGINFO: n.siginfo ??= d; break;
      case NT_FILE: n.file ??= d; break;
    }
  }
}

// struct elf_prstatus (64-bit): pr_cursig at 12, pr_pid at 32, pr_reg at 112.
const PR_REG = 112;
const X86_64_REGS = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'] as const;
const AARCH64_REGS = [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'pstate'] as const;

export interface ThreadState {
  readonly tid: number;
  readonly signal: number;
  /** Register name -> value. */
  readonly regs: ReadonlyMap<string, bigint>;
}

export function decodePrstatus(d: Buffer, machine: Machine): ThreadState | undefined {
  if (d.length < PR_REG) return undefined;
  const names: readonly string[] = machine === 'x86_64' ? X86_64_REGS : AARCH64_REGS;
  const regs = new Map<string, bigint>();
  names.forEach((r, i) => { if (PR_REG + 8 * i + 8 <= d.length) regs.set(r, d.readBigUInt64LE(PR_REG + 8 * i)); });
  return { tid: d.readInt32LE(32), signal: d.readUInt16LE(12), regs };
}

export interface SigInfo { readonly signo: number; readonly errno: number; readonly code: number; readonly addr: bigint | undefined }

export function decodeSiginfo(d: Buffer): SigInfo | undefined {
  if (d.length < 24) return undefined;
  return { signo: d.readInt32LE(0), errno: d.readInt32LE(4), code: d.readInt32LE(8), addr: d.readBigUInt64LE(16) };
}

export function decodeAuxv(d: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (let at = 0; at + 16 <= d.length && out.size < 64; at += 16) {
    const k = u64(d, at);
    if (k === 0) break;
    if (Number.isFinite(k)) out.set(k, u64(d, at + 8));
  }
  return out;
}

export interface FileMapping { readonly start: number; readonly end: number; readonly fileOffset: number; readonly path: string }

/** NT_FILE: count, page size, count x (start, end, page offset), then count NUL-terminated paths. */
export function decodeFile(d: Buffer, max = 4096): FileMapping[] {
  if (d.length < 16) return [];
  const count = u64(d, 0), page = u64(d, 8);
  if (!Number.isFinite(count) || !Number.isFinite(page) || count * 24 + 16 > d.length) return [];
  const out: FileMapping[] = [];
  let nameAt = 16 + count * 24;
  for (let i = 0; i < count && i < max && nameAt < d.length; i++) {
    const nul = d.indexOf(0, nameAt);
    const stop = nul < 0 ? d.length : nul;
    const at = 16 + i * 24;
    out.push({ start: u64(d, at), end: u64(d, at + 8), fileOffset: u64(d, at + 16) * page, path: d.toString('utf8', nameAt, Math.min(stop, nameAt + 4096)) });
    nameAt = stop + 1;
  }
  return out;
}

/** struct elf_prpsinfo (64-bit): pr_fname[16] at 40, pr_psargs[80] at 56. */
export function decodePrpsinfo(d: Buffer): { fname: string; args: string } | undefined {
  if (d.length < 136) return undefined;
  const str = (a: number, n: number) => d.toString('utf8', a, a + n).replace(/\0.*$/s, '');
  return { fname: str(40, 16), args: str(56, 80).trim() };
}
