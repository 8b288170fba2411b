// Reads what a dynamically linked ELF executable asks of the loader: its interpreter (PT_INTERP)
// and the sonames it needs (DT_NEEDED). Read from the file itself, not by running ldd, so a
// foreign-architecture binary (the arm64 runtime on an amd64 builder) is resolved the same way.
// Only ELF64 little-endian (x86-64 and aarch64), which is all the image ships.
import fs from 'node:fs';

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
export const MACHINES = { 62: 'amd64', 183: 'arm64' };

/** @returns {{ arch: string, interp: string | undefined, needed: string[] }} */
export function elfNeeds(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  if (b[4] !== 2 || b[5] !== 1) throw new Error(`${file}: not ELF64 little-endian`);
  const arch = MACHINES[b.readUInt16LE(18)];
  if (!arch) throw new Error(`${file}: unsupported machine ${b.readUInt16LE(18)}`);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const loads = [];
  let interp;
  let dynamic;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = b.readUInt32LE(p);
    const offset = Number(b.readBigUInt64LE(p + 8));
    const vaddr = b.readBigUInt64LE(p + 16);
    const filesz = Number(b.readBigUInt64LE(p + 32));
    if (type === PT_INTERP) interp = b.toString('latin1', offset, offset + filesz).replace(/\0.*$/s, '');
    if (type === PT_DYNAMIC) dynamic = { offset, filesz };
    if (type === PT_LOAD) loads.push({ vaddr, offset: BigInt(offset), filesz: BigInt(filesz) });
  }
  if (!dynamic) return { arch, interp, needed: [] };
  // DT_STRTAB is a virtual address: map it back to a file offset through the PT_LOAD segments.
  const toOffset = (addr) => {
    const seg = loads.find((l) => addr >= l.vaddr && addr < l.vaddr + l.filesz);
    if (!seg) throw new Error(`${file}: address 0x${addr.toString(16)} outside every segment`);
    return Number(addr - seg.vaddr + seg.offset);
  };
  const neededOffsets = [];
  let strtab;
  for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.filesz; p += 16) {
    const tag = b.readBigInt64LE(p);
    const val = b.readBigUInt64LE(p + 8);
    if (tag === 0n) break;
    if (tag === DT_NEEDED) neededOffsets.push(Number(val));
    if (tag === DT_STRTAB) strtab = toOffset(val);
  }
  if (strtab === undefined) throw new Error(`${file}: dynamic section without a string table`);
  const needed = neededOffsets.map((o) => b.toString('latin1', strtab + o, b.indexOf(0, strtab + o)));
  return { arch, interp, needed };
}
