// ELF64 little-endian structures the triage reads: the file header, program headers and notes. Only
// what x86_64 and aarch64 cores (and the files they map) use. Every read is bounds-checked by the
// caller's buffer length: these parse hostile bytes.

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const ET_CORE = 4;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const EHDR_BYTES = 64;
export const PHDR_BYTES = 56;
/** e_phnum meaning "the count is in section header 0" (over 65534 segments). */
export const PN_XNUM = 0xffff;

export type Machine = 'x86_64' | 'aarch64';

export interface ElfHeader {
  readonly type: number;
  readonly machine: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shoff: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

/** A u64 as a number; values past 2^53 (never a sane offset or user address) become Infinity. */
export function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
}

export function machineName(em: number): Machine | undefined {
  return em === EM_X86_64 ? 'x86_64' : em === EM_AARCH64 ? 'aarch64' : undefined;
}

/** The ELF header of `b`, if it is ELF64 little-endian; undefined otherwise. */
export function readElfHeader(b: Buffer): ElfHeader | undefined {
  if (b.length < EHDR_BYTES || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return undefined;
  return {
    type: b.readUInt16LE(16), machine: b.readUInt16LE(18), phoff: u64(b, 32), shoff: u64(b, 40),
    phentsize: b.readUInt16LE(54), phnum: b.readUInt16LE(56), shentsize: b.readUInt16LE(58), shnum: b.readUInt16LE(60),
    shstrndx: b.readUInt16LE(62),
  };
}

export function readProgramHeader(b: Buffer, at: number): ProgramHeader {
  return { type: b.readUInt32LE(at), flags: b.readUInt32LE(at + 4), offset: u64(b, at + 8), vaddr: u64(b, at + 16), filesz: u64(b, at + 32), memsz: u64(b, at + 40) };
}

/** The program headers that lie wholly inside `b` (a file's first page, say). */
export function programHeadersIn(b: Buffer, h: ElfHeader): ProgramHeader[] {
  const out: ProgramHeader[] = [];
  if (h.phentsize !== PHDR_BYTES) return out;
  for (let i = 0; i < h.phnum; i++) {
    const at = h.phoff + i * PHDR_BYTES;
    if (at + PHDR_BYTES > b.length) break;
    out.push(readProgramHeader(b, at));
  }
  return out;
}

export interface Note { readonly name: string; readonly type: number; readonly desc: Buffer }

export const align4 = (n: number) => n + ((4 - (n % 4)) % 4); // not bitwise: sizes reach 2^32

/** The notes of a note segment held whole in `b` (a mapped file's notes). Stops at the first bad one. */
export function notesIn(b: Buffer): Note[] {
  const out: Note[] = [];
  let at = 0;
  while (at + 12 <= b.length) {
    const namesz = b.readUInt32LE(at), descsz = b.readUInt32LE(at + 4), type = b.readUInt32LE(at + 8);
    const nameAt = at + 12, descAt = nameAt + align4(namesz);
    if (descAt + descsz > b.length) break;
    out.push({ name: b.toString('latin1', nameAt, nameAt + Math.max(0, namesz - 1)), type, desc: b.subarray(descAt, descAt + descsz) });
    at = descAt + align4(descsz);
  }
  return out;
}
