// The mapped files of the crashed process (NT_FILE) as modules: where each is loaded, and what its
// dumped first page says about it: the GNU build-id and systemd's package note (.note.package JSON).
import { PT_LOAD, PT_NOTE, notesIn, programHeadersIn, readElfHeader } from './elf.ts';
import type { FileMapping } from './notes.ts';

const NT_GNU_BUILD_ID = 3;
const NT_FDO_PACKAGING_METADATA = 0xcafe1a7e;
const MAX_PACKAGE_NOTE = 1024;

export interface Module {
  readonly path: string;
  /** Where the file's first byte is mapped: module offsets are from here. */
  readonly base: number;
  readonly end: number;
  readonly buildId: string | undefined;
  /** The package note's JSON ({"type":"deb","name":...}), if the file has one within its first page. */
  readonly package: Record<string, unknown> | undefined;
  /** The link-time address of file offset 0 (p_vaddr - p_offset of its first PT_LOAD): 0 for PIE and libraries. */
  readonly linkBase: number | undefined;
}

function pageFacts(page: Buffer | undefined): Pick<Module, 'buildId' | 'package' | 'linkBase'> {
  const none = { buildId: undefined, package: undefined, linkBase: undefined };
  const h = page && readElfHeader(page);
  if (!page || !h) return none;
  const phdrs = programHeadersIn(page, h);
  const load = phdrs.find((p) => p.type === PT_LOAD);
  let buildId: string | undefined;
  let pkg: Record<string, unknown> | undefined;
  for (const p of phdrs) {
    if (p.type !== PT_NOTE || p.offset + p.filesz > page.length) continue;
    for (const n of notesIn(page.subarray(p.offset, p.offset + p.filesz))) {
      if (n.name === 'GNU' && n.type === NT_GNU_BUILD_ID && n.desc.length >= 8 && n.desc.length <= 64) buildId ??= n.desc.toString('hex');
      if (n.name === 'FDO' && n.type === NT_FDO_PACKAGING_METADATA && n.desc.length <= MAX_PACKAGE_NOTE) pkg ??= parsePackage(n.desc);
    }
  }
  return { buildId, package: pkg, linkBase: load ? load.vaddr - load.offset : undefined };
}

function parsePackage(d: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(d.toString('utf8').replace(/\0+$/, ''));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One module per mapped file, in address order. */
export function modulesOf(files: readonly FileMapping[], firstPages: ReadonlyMap<number, Buffer>): Module[] {
  const byPath = new Map<string, { base: number | undefined; start: number; end: number }>();
  for (const f of files) {
    const m = byPath.get(f.path) ?? { base: undefined, start: f.start, end: f.end };
    if (f.fileOffset === 0 && m.base === undefined) m.base = f.start;
    m.start = Math.min(m.start, f.start);
    m.end = Math.max(m.end, f.end);
    byPath.set(f.path, m);
  }
  return [...byPath].map(([path, m]) => {
    const base = m.base ?? m.start;
    return { path, base, end: m.end, ...pageFacts(firstPages.get(base)) };
  }).sort((a, b) => a.base - b.base);
}

/** The module mapping `addr`, if any. */
export function moduleAt(files: readonly FileMapping[], modules: readonly Module[], addr: number): Module | undefined {
  const f = files.find((x) => addr >= x.start && addr < x.end);
  return f && modules.find((m) => m.path === f.path);
}
