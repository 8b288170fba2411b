// Function names for frames, from each module's own symbol table (.symtab, else .dynsym): no
// debuginfo needed. The files are opened while the kernel still holds the crashed process, from
// /proc/<pid>/map_files (the very inode that was mapped, even if since replaced or deleted), else
// through /proc/<pid>/root; they are read after the process is released, within a time budget.
// The files are the crashed container's: hostile bytes, so every size is capped.
import fs from 'node:fs';
import { constants as C } from 'node:fs';
import { PT_LOAD, programHeadersIn, readElfHeader, u64 } from './elf.ts';
import type { Module } from './modules.ts';

// ELF64 section and symbol types and record sizes (the System V gABI).
const SHT_SYMTAB = 2, SHT_DYNSYM = 11;
const STT_FUNC = 2, STT_GNU_IFUNC = 10;
const SHDR_BYTES = 64, SYM_BYTES = 24;
// Caps on what a hostile module file can make us read.
const MAX_SECTIONS = 4096;
const MAX_SYMTAB_BYTES = 64 << 20;
const MAX_NAME = 256;
const BLOCK = 1 << 20;
/** Module files opened per crash (a few microseconds each, while the crashed process is held). */
export const MAX_OPEN = 64;

export interface OpenModule { readonly module: Module; readonly fd: number }

const hex = (n: number) => n.toString(16);

/**
 * Opens the files of `modules` (synchronously: the process may be gone a moment later). `mapEnd`
 * gives the end of the mapping at each module's base (map_files names single mappings).
 */
export function openModules(pid: number, modules: readonly Module[], mapEnd: (m: Module) => number, errors: string[] = []): OpenModule[] {
  const out: OpenModule[] = [];
  for (const module of modules.slice(0, MAX_OPEN)) {
    for (const file of [`/proc/${pid}/map_files/${hex(module.base)}-${hex(mapEnd(module))}`, `/proc/${pid}/root${module.path}`]) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(file, C.O_RDONLY | C.O_NONBLOCK);
        if (!fs.fstatSync(fd).isFile()) throw new Error('not a regular file');
        out.push({ module, fd });
        break;
      } catch (e) {
        if (errors.length < 4) errors.push(`${file}: ${(e as Error).message}`);
        if (fd !== undefined) fs.closeSync(fd);
      }
    }
  }
  return out;
}

async function readAt(fd: number, at: number, len: number): Promise<Buffer> {
  const b = Buffer.alloc(len);
  const { bytesRead } = await new Promise<{ bytesRead: number }>((resolve, reject) =>
    fs.read(fd, b, 0, len, at, (e, n) => (e ? reject(e) : resolve({ bytesRead: n }))));
  return b.subarray(0, bytesRead);
}

interface Section { type: number; offset: number; size: number; link: number; entsize: number }

/**
 * Names for the module offsets `offsets` ("function" or "function+0x1f"), read from the file's
 * symbol table; offsets without a covering function symbol are left out.
 */
export async function symbolise(fd: number, offsets: readonly number[], deadline: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const head = await readAt(fd, 0, 4096);
  const h = readElfHeader(head);
  if (!h || h.shentsize !== SHDR_BYTES || h.shnum === 0 || h.shnum > MAX_SECTIONS || !Number.isFinite(h.shoff)) return out;
  const load = programHeadersIn(head, h).find((p) => p.type === PT_LOAD);
  const linkBase = load ? load.vaddr - load.offset : 0;
  const shdrs = await readAt(fd, h.shoff, h.shnum * SHDR_BYTES);
  const sections: Section[] = [];
  for (let at = 0; at + SHDR_BYTES <= shdrs.length; at += SHDR_BYTES) {
    sections.push({ type: shdrs.readUInt32LE(at + 4), offset: u64(shdrs, at + 24), size: u64(shdrs, at + 32), link: shdrs.readUInt32LE(at + 40), entsize: u64(shdrs, at + 56) });
  }
  const tab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  const strtab = tab && sections[tab.link];
  if (!tab || !strtab || tab.entsize !== SYM_BYTES || tab.size > MAX_SYMTAB_BYTES || !Number.isFinite(tab.offset) || !Number.isFinite(strtab.offset)) return out;

  const wanted = offsets.map((o) => ({ off: o, vaddr: o + linkBase, best: undefined as undefined | { value: number; name: number } }));
  for (let at = 0; at < tab.size && Date.now() < deadline; at += BLOCK) {
    const block = await readAt(fd, tab.offset + at, Math.min(BLOCK, tab.size - at));
    for (let s = 0; s + SYM_BYTES <= block.length; s += SYM_BYTES) {
      const type = block[s + 4]! & 0xf;
      if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
      const value = u64(block, s + 8), size = u64(block, s + 16);
      for (const w of wanted) if (w.vaddr >= value && w.vaddr < value + size) w.best = { value, name: block.readUInt32LE(s) };
    }
    if (block.length < Math.min(BLOCK, tab.size - at)) break;
  }
  for (const w of wanted) {
    if (!w.best || w.best.name >= strtab.size) continue;
    const raw = await readAt(fd, strtab.offset + w.best.name, MAX_NAME);
    const nul = raw.indexOf(0);
    const name = raw.toString('latin1', 0, nul < 0 ? raw.length : nul).replace(/[^\x21-\x7e]/g, '?');
    if (!name) continue;
    const delta = w.vaddr - w.best.value;
    out.set(w.off, delta ? `${name}+0x${hex(delta)}` : name);
  }
  return out;
}

export function closeModules(open: readonly OpenModule[]): void {
  for (const o of open) try { fs.closeSync(o.fd); } catch { /* already closed */ }
}
