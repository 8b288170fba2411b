// Reads a zip from any random-access source (a local file, or an S3 object through range GETs):
// the (ZIP64) end of central directory, the central directory, and one entry's data. Only what
// our own writer produces needs to be understood, but the input is treated as hostile: every
// offset and size is checked against the source's length before it is used.
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { CdcError } from './errors.ts';

const inflateRaw = promisify(zlib.inflateRaw);

/** Reads `length` bytes at `offset` (the source may return fewer only at its end). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

export interface ZipSource {
  readonly size: number;
  readonly readAt: ReadAt;
}

export interface ZipEntryInfo {
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const TAIL = 22 + 0xffff + 20 + 56; // EOCD with the longest comment, the ZIP64 locator and record
const M32 = 0xffffffff;

const bad = (what: string): CdcError => new CdcError('CDC_ZIP_INVALID', what);

function within(src: ZipSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw bad(`${what} lies outside the zip (${offset}+${length} of ${src.size} bytes)`);
  }
}

async function readExact(src: ZipSource, offset: number, length: number, what: string): Promise<Buffer> {
  within(src, offset, length, what);
  const b = await src.readAt(offset, length);
  if (b.length !== length) throw bad(`short read of ${what}`);
  return b;
}

/** Values of the ZIP64 extra field, in the order the central header leaves them at 0xffffffff. */
function zip64Values(extra: Buffer): bigint[] {
  for (let i = 0; i + 4 <= extra.length;) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      const out: bigint[] = [];
      for (let j = i + 4; j + 8 <= i + 4 + len && j + 8 <= extra.length; j += 8) out.push(extra.readBigUInt64LE(j));
      return out;
    }
    i += 4 + len;
  }
  return [];
}

async function centralDirectoryBounds(src: ZipSource): Promise<{ offset: number; size: number; count: number }> {
  const tailStart = Math.max(0, src.size - TAIL);
  const tail = await readExact(src, tailStart, src.size - tailStart, 'the end of the zip');
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === SIG_EOCD) { at = i; break; }
  if (at < 0) throw bad('no end of central directory: not a zip, or not a whole one');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if ((count === 0xffff || size === M32 || offset === M32) && at >= 20 && tail.readUInt32LE(at - 20) === SIG_ZIP64_LOCATOR) {
    const recAt = Number(tail.readBigUInt64LE(at - 20 + 8));
    const rec = await readExact(src, recAt, 56, 'the ZIP64 end record');
    if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw bad('the ZIP64 locator points at no ZIP64 end record');
    count = Number(rec.readBigUInt64LE(32));
    size = Number(rec.readBigUInt64LE(40));
    offset = Number(rec.readBigUInt64LE(48));
  }
  within(src, offset, size, 'the central directory');
  return { offset, size, count };
}

/** Every entry of the central directory. */
export async function readEntries(src: ZipSource): Promise<ZipEntryInfo[]> {
  const cd = await centralDirectoryBounds(src);
  const buf = await readExact(src, cd.offset, cd.size, 'the central directory');
  const out: ZipEntryInfo[] = [];
  for (let i = 0; i + 46 <= buf.length && out.length < cd.count;) {
    if (buf.readUInt32LE(i) !== SIG_CENTRAL) throw bad(`central directory entry ${out.length} has no signature`);
    const nameLen = buf.readUInt16LE(i + 28);
    const extraLen = buf.readUInt16LE(i + 30);
    const commentLen = buf.readUInt16LE(i + 32);
    if (i + 46 + nameLen + extraLen > buf.length) throw bad('a central directory entry runs past its end');
    const name = buf.toString('utf8', i + 46, i + 46 + nameLen);
    const big = zip64Values(buf.subarray(i + 46 + nameLen, i + 46 + nameLen + extraLen));
    const next = (v: number) => (v === M32 ? Number(big.shift() ?? -1n) : v);
    const size = next(buf.readUInt32LE(i + 24));
    const compressedSize = next(buf.readUInt32LE(i + 20));
    const localHeaderOffset = next(buf.readUInt32LE(i + 42));
    out.push({ name, method: buf.readUInt16LE(i + 10), crc32: buf.readUInt32LE(i + 16), compressedSize, size, localHeaderOffset });
    i += 46 + nameLen + extraLen + commentLen;
  }
  if (out.length !== cd.count) throw bad(`central directory holds ${out.length} entries, its end record says ${cd.count}`);
  return out;
}

/** Where an entry's data starts (after its local header). */
export async function dataOffset(src: ZipSource, e: ZipEntryInfo): Promise<number> {
  const h = await readExact(src, e.localHeaderOffset, 30, `the local header of ${e.name}`);
  if (h.readUInt32LE(0) !== SIG_LOCAL) throw bad(`${e.name} has no local header`);
  const start = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  within(src, start, e.compressedSize, `the data of ${e.name}`);
  return start;
}

/** A small entry, decompressed and checked against its CRC-32. */
export async function readEntry(src: ZipSource, e: ZipEntryInfo, maxBytes = 64 << 20): Promise<Buffer> {
  if (e.size > maxBytes || e.compressedSize > maxBytes) throw bad(`${e.name} is larger than ${maxBytes} bytes`);
  const raw = await readExact(src, await dataOffset(src, e), e.compressedSize, `the data of ${e.name}`);
  const data = e.method === 8 ? await inflateRaw(raw, { maxOutputLength: maxBytes }) : e.method === 0 ? raw : undefined;
  if (!data) throw bad(`${e.name} uses compression method ${e.method}`);
  if (data.length !== e.size || zlib.crc32(data) !== e.crc32) throw bad(`${e.name} fails its CRC-32 or size check`);
  return data;
}
