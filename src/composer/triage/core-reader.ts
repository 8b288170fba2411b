// The streaming ELF core reader: a passive observer of the core's chunks as they stream to the zip
// (`observe(chunk)`, called by the core source). No second pass and no copy of the core: it asks for
// a few byte ranges of the file (header, program headers, notes, then the first page of each mapped
// ELF file and a window of the crashing thread's stack) and copies only those, so its memory is
// bounded whatever the core holds. A core is laid out header, program headers, notes, then memory
// in address order, so every range it asks for lies ahead of the bytes already seen. Hostile bytes
// never throw out of observe(): the reader stops and reports what it could read.
import {
  EHDR_BYTES, ET_CORE, PHDR_BYTES, PN_XNUM, PT_LOAD, PT_NOTE, machineName, readElfHeader, readProgramHeader,
  type Machine, type ProgramHeader,
} from './elf.ts';
import { NoteStream, decodeAuxv, decodeFile, decodePrpsinfo, decodePrstatus, decodeSiginfo, type FileMapping, type RawNotes, type SigInfo, type ThreadState } from './notes.ts';

/** Bytes of the crashing thread's stack kept above its stack pointer (the frame walk's reach). */
export const STACK_WINDOW = 128 << 10;
/** Bytes of each mapped ELF file kept: its first page (the kernel dumps it; it holds the build-id). */
export const FIRST_PAGE = 4096;
/** Mapped files whose first page is kept; past this the rest are named without a build-id. */
export const MAX_MODULES = 512;
/** A note segment larger than this is read only this far. */
const MAX_NOTES = 64 << 20;
/** Program headers read: the kernel's own limit on segments is 65535 (more uses PN_XNUM). */
const MAX_PHDRS = 0xfffe;

export interface Segment { readonly vaddr: number; readonly memsz: number; readonly filesz: number; readonly offset: number; readonly flags: number }

export interface CoreFacts {
  readonly machine: Machine | undefined;
  /** The size the core's program headers say it has (the end of its last segment); issue 11's length check. */
  readonly expectedCoreBytes: number | undefined;
  /** Bytes observed. */
  readonly seenBytes: number;
  readonly segments: readonly Segment[];
  /** The crashing thread first (the kernel writes the dumping thread's NT_PRSTATUS first). */
  readonly threads: readonly ThreadState[];
  readonly threadCount: number;
  readonly siginfo: SigInfo | undefined;
  readonly auxv: ReadonlyMap<number, number>;
  readonly files: readonly FileMapping[];
  readonly psinfo: { fname: string; args: string } | undefined;
  /** vaddr of a mapped file's first byte -> its first page, as dumped. */
  readonly firstPages: ReadonlyMap<number, Buffer>;
  /** The crashing thread's stack from its stack pointer up, as far as the window and the dump reach. */
  readonly stack: { readonly base: number; readonly bytes: Buffer } | undefined;
  /** What could not be read, in words (a hostile or truncated core). */
  readonly problems: readonly string[];
}

interface Want {
  readonly start: number;
  readonly end: number;
  /** Bytes [at, at + b.length) of the file, in order. */
  take(b: Buffer, at: number): void;
  done(complete: boolean): void;
}

/** A range copied into one buffer, handed over whole (or short, if the core ended first). */
function capture(start: number, len: number, onDone: (b: Buffer) => void): Want {
  const buf = Buffer.alloc(len);
  let fill = 0;
  return {
    start, end: start + len,
    take(b, at) { b.copy(buf, at - start); fill = at - start + b.length; },
    done() { onDone(buf.subarray(0, fill)); },
  };
}

export class CoreReader {
  private pos = 0;
  private stopped = false;
  private wants: Want[] = [];
  private machine: Machine | undefined;
  private expected: number | undefined;
  private phdrsRead = false;
  private segments: Segment[] = [];
  private notes: RawNotes | undefined;
  private threads: ThreadState[] = [];
  private siginfo: SigInfo | undefined;
  private auxv = new Map<number, number>();
  private files: FileMapping[] = [];
  private psinfo: { fname: string; args: string } | undefined;
  private firstPages = new Map<number, Buffer>();
  private stack: { base: number; bytes: Buffer } | undefined;
  private problems: string[] = [];
  private readonly onNotes: ((f: CoreFacts) => void) | undefined;
  private readonly onStack: ((f: CoreFacts) => void) | undefined;

  /** `onNotes` runs once the notes are read, `onStack` once the stack window is (both may never). */
  constructor(hooks: { onNotes?: (f: CoreFacts) => void; onStack?: (f: CoreFacts) => void } = {}) {
    this.onNotes = hooks.onNotes;
    this.onStack = hooks.onStack;
    this.want(capture(0, EHDR_BYTES, (b) => this.header(b)));
  }

  /** The next chunk of the core. Never throws. */
  observe(chunk: Buffer): void {
    const base = this.pos;
    this.pos += chunk.length;
    if (this.stopped) return;
    try {
      this.feed(chunk, base);
    } catch (e) {
      this.stop(`reader stopped at byte ${base}: ${(e as Error).message}`);
    }
  }

  /** The core ended (or was cut): what was read. */
  finish(): CoreFacts {
    this.feeding = this.pos;
    let missed = 0;
    // Ranges still open are handed what they got; their hooks may queue more (notes -> stack), which get nothing.
    for (let round = 0; round < 4 && this.wants.length; round++) {
      const open = this.wants;
      this.wants = [];
      missed += open.length;
      for (const w of open) w.done(false);
    }
    this.wants = [];
    if (missed && !this.stopped) this.problems.push(`core ended at byte ${this.pos} before ${missed} range(s) the reader needed`);
    this.stopped = true;
    if (this.expected !== undefined && this.pos < this.expected) this.problems.push(`core has ${this.pos} bytes, its program headers say ${this.expected}`);
    return this.facts();
  }

  facts(): CoreFacts {
    return {
      machine: this.machine, expectedCoreBytes: this.expected, seenBytes: this.pos, segments: this.segments,
      threads: this.threads, threadCount: this.notes?.threadCount ?? 0, siginfo: this.siginfo, auxv: this.auxv,
      files: this.files, psinfo: this.psinfo, firstPages: this.firstPages, stack: this.stack, problems: this.problems,
    };
  }

  private stop(why: string): void {
    this.problems.push(why);
    this.stopped = true;
    this.wants = [];
  }

  /** Queues a range, in start order. A range already streamed past is missed. */
  private want(w: Want): void {
    if (w.end <= w.start) return;
    if (w.start < this.feeding) {
      this.problems.push(`bytes ${w.start}..${w.end} were needed after they had streamed by`);
      return;
    }
    let i = this.wants.length;
    while (i > 0 && this.wants[i - 1]!.start > w.start) i--;
    this.wants.splice(i, 0, w);
  }

  /** The file offset below which bytes are gone. */
  private feeding = 0;
  /** Per range begun, the next file offset it expects. */
  private next = new Map<Want, number>();

  private feed(chunk: Buffer, base: number): void {
    const end = base + chunk.length;
    for (let i = 0; i < this.wants.length && !this.stopped;) {
      const w = this.wants[i]!;
      if (w.start >= end) break;
      // `next`: a range restarted below (after another completed) must not see the same bytes twice.
      const from = Math.max(w.start, base, this.next.get(w) ?? 0), to = Math.min(w.end, end);
      this.feeding = from;
      if (to > from) { w.take(chunk.subarray(from - base, to - base), from); this.next.set(w, to); }
      if (w.end > end) { i++; continue; }
      this.wants.splice(i, 1);
      this.next.delete(w);
      this.feeding = w.end;
      w.done(true); // may queue further ranges, at or after w.end
      i = 0; // start over: a new range may begin inside this chunk
    }
    this.feeding = end;
  }

  private header(b: Buffer): void {
    const h = readElfHeader(b);
    if (!h) return this.stop('not an ELF64 little-endian file');
    this.machine = machineName(h.machine);
    if (h.type !== ET_CORE) return this.stop(`ELF type ${h.type}, not a core`);
    if (!this.machine) return this.stop(`machine ${h.machine} is not x86_64 or aarch64`);
    if (h.phentsize !== PHDR_BYTES) return this.stop(`program header size ${h.phentsize}`);
    if (h.phnum === PN_XNUM) return this.stop('over 65534 segments (PN_XNUM): program headers not read');
    const n = Math.min(h.phnum, MAX_PHDRS);
    if (!Number.isFinite(h.phoff) || h.phoff < EHDR_BYTES) return this.stop(`program headers at offset ${h.phoff}`);
    this.expected = h.phoff + n * PHDR_BYTES;
    this.want(capture(h.phoff, n * PHDR_BYTES, (t) => this.programHeaders(t)));
  }

  /** True once the notes are read (their hook has run) or never will be: the reader wants nothing more of the process. */
  get pastNotes(): boolean {
    return this.stopped || this.notes !== undefined;
  }

  /** The core's size as its program headers give it, once they have streamed by (the first KiB). */
  get sizeFromHeaders(): number | undefined {
    return this.phdrsRead ? this.expected : undefined;
  }

  private programHeaders(t: Buffer): void {
    let note: ProgramHeader | undefined;
    for (let at = 0; at + PHDR_BYTES <= t.length; at += PHDR_BYTES) {
      const p = readProgramHeader(t, at);
      const end = p.offset + p.filesz;
      if (Number.isFinite(end) && end > this.expected!) this.expected = end;
      if (p.type === PT_NOTE) note ??= p;
      else if (p.type === PT_LOAD && Number.isFinite(end) && Number.isFinite(p.vaddr + p.memsz)) {
        this.segments.push({ vaddr: p.vaddr, memsz: p.memsz, filesz: p.filesz, offset: p.offset, flags: p.flags });
      }
    }
    this.phdrsRead = true;
    if (!note || !Number.isFinite(note.offset + note.filesz)) return this.stop('no readable PT_NOTE segment');
    if (note.filesz > MAX_NOTES) this.problems.push(`note segment of ${note.filesz} bytes read to ${MAX_NOTES}`);
    const stream = new NoteStream();
    this.want({
      start: note.offset, end: note.offset + Math.min(note.filesz, MAX_NOTES),
      take: (b) => stream.push(b),
      done: () => { stream.end(); this.gotNotes(stream.notes); },
    });
  }

  private gotNotes(n: RawNotes): void {
    this.notes = n;
    const m = this.machine!;
    for (const d of n.prstatus) { const s = decodePrstatus(d, m); if (s) this.threads.push(s); }
    this.siginfo = n.siginfo && decodeSiginfo(n.siginfo);
    if (n.auxv) this.auxv = decodeAuxv(n.auxv);
    if (n.file) this.files = decodeFile(n.file);
    this.psinfo = n.prpsinfo && decodePrpsinfo(n.prpsinfo);
    if (n.skipped) this.problems.push(`${n.skipped} note(s) over their size cap or cut off`);
    if (!this.threads.length) this.problems.push('no NT_PRSTATUS: no registers');
    this.wantFirstPages();
    this.wantStack();
    this.onNotes?.(this.facts());
  }

  /** The dumped part of the segment holding `addr`, if any. */
  private dumpedAt(addr: number): Segment | undefined {
    return this.segments.find((s) => addr >= s.vaddr && addr < s.vaddr + s.filesz);
  }

  private wantFirstPages(): void {
    let n = 0;
    for (const f of this.files) {
      if (f.fileOffset !== 0 || this.firstPages.has(f.start)) continue;
      const s = this.dumpedAt(f.start);
      if (!s || n >= MAX_MODULES) continue;
      n++;
      const start = f.start;
      this.want(capture(s.offset + (start - s.vaddr), Math.min(FIRST_PAGE, s.vaddr + s.filesz - start), (b) => { if (b.length) this.firstPages.set(start, b); }));
    }
  }

  private wantStack(): void {
    const sp = this.threads[0]?.regs.get(this.machine === 'x86_64' ? 'rsp' : 'sp');
    if (sp === undefined || sp > BigInt(Number.MAX_SAFE_INTEGER)) return;
    const base = Number(sp);
    const s = this.dumpedAt(base);
    if (!s) { this.problems.push('the stack pointer is outside every dumped segment'); return; }
    const len = Math.min(STACK_WINDOW, s.vaddr + s.filesz - base);
    this.want(capture(s.offset + (base - s.vaddr), len, (bytes) => {
      this.stack = { base, bytes };
      this.onStack?.(this.facts());
    }));
  }
}
