// Zip record layouts (PKWARE APPNOTE 6.3). Only what the writer needs: local headers, ZIP64 data
// descriptors, central directory headers and the (ZIP64) end of central directory.

const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_EOCD = 0x06054b50;

const FLAG_DESCRIPTOR = 1 << 3; // sizes and CRC follow the data
const FLAG_UTF8 = 1 << 11; // names are UTF-8
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
const MADE_BY_UNIX = 3 << 8; // so unzip honours the Unix mode in the external attributes
const MODE_FILE_0644 = 0o100644;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNIX_TIME = 0x5455; // "UT": mtime in UTC, so readers in other time zones agree

/** What the central directory needs to know about one written entry. */
export interface EntryRecord {
  name: Buffer; // UTF-8
  method: 0 | 8;
  streamed: boolean; // local header had bit 3 and a ZIP64 extra field
  mtime: Date;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** MS-DOS date and time (local time, 2 s resolution), clamped to the range DOS can hold. */
export function dosDateTime(d: Date): { date: number; time: number } {
  let year = d.getFullYear();
  if (!Number.isFinite(year) || year < 1980) return { date: (1 << 5) | 1, time: 0 }; // 1980-01-01
  if (year > 2107) year = 2107;
  const date = ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  return { date, time };
}

function unixSeconds(d: Date): number {
  const s = Math.floor(d.getTime() / 1000);
  return Number.isFinite(s) ? Math.min(Math.max(s, 0), U32_MAX) : 0;
}

function unixTimeExtra(d: Date): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(EXTRA_UNIX_TIME, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4); // flags: mtime present
  b.writeUInt32LE(unixSeconds(d), 5);
  return b;
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(EXTRA_ZIP64, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/**
 * Local file header. For a streamed entry (sizes unknown) CRC and sizes are written after the data
 * (bit 3); the ZIP64 extra field with zero sizes tells readers that the data descriptor holds 8-byte
 * sizes, so an entry of any size can be streamed. For a known entry the real values are written.
 */
export function localHeader(e: Omit<EntryRecord, 'localHeaderOffset'>): Buffer {
  const { date, time } = dosDateTime(e.mtime);
  const big = !e.streamed && (e.compressedSize >= U32_MAX || e.uncompressedSize >= U32_MAX);
  const zip64 = e.streamed || big;
  const extras = [unixTimeExtra(e.mtime)];
  if (zip64) extras.push(zip64Extra(e.streamed ? [0, 0] : [e.uncompressedSize, e.compressedSize]));
  const extra = Buffer.concat(extras);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
  h.writeUInt16LE(FLAG_UTF8 | (e.streamed ? FLAG_DESCRIPTOR : 0), 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  h.writeUInt32LE(e.streamed ? 0 : e.crc32, 14);
  h.writeUInt32LE(zip64 ? U32_MAX : e.compressedSize, 18);
  h.writeUInt32LE(zip64 ? U32_MAX : e.uncompressedSize, 22);
  h.writeUInt16LE(e.name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, e.name, extra]);
}

/** Data descriptor after a streamed entry, with 8-byte sizes (the local header announced ZIP64). */
export function dataDescriptor(crc32: number, compressedSize: number, uncompressedSize: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(SIG_DESCRIPTOR, 0);
  b.writeUInt32LE(crc32, 4);
  b.writeBigUInt64LE(BigInt(compressedSize), 8);
  b.writeBigUInt64LE(BigInt(uncompressedSize), 16);
  return b;
}

/** Central directory header; a ZIP64 extra field carries only the values that do not fit 32 bits. */
export function centralHeader(e: EntryRecord): Buffer {
  const { date, time } = dosDateTime(e.mtime);
  const over = (v: number): boolean => v >= U32_MAX;
  const big: number[] = [];
  if (over(e.uncompressedSize)) big.push(e.uncompressedSize);
  if (over(e.compressedSize)) big.push(e.compressedSize);
  if (over(e.localHeaderOffset)) big.push(e.localHeaderOffset);
  const extras = [unixTimeExtra(e.mtime)];
  if (big.length > 0) extras.push(zip64Extra(big));
  const extra = Buffer.concat(extras);
  const zip64 = e.streamed || big.length > 0;
  const h = Buffer.alloc(46);
  h.writeUInt32LE(SIG_CENTRAL, 0);
  h.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 4);
  h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
  h.writeUInt16LE(FLAG_UTF8 | (e.streamed ? FLAG_DESCRIPTOR : 0), 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(time, 12);
  h.writeUInt16LE(date, 14);
  h.writeUInt32LE(e.crc32, 16);
  h.writeUInt32LE(over(e.compressedSize) ? U32_MAX : e.compressedSize, 20);
  h.writeUInt32LE(over(e.uncompressedSize) ? U32_MAX : e.uncompressedSize, 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment length
  h.writeUInt16LE(0, 34); // disk number start
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE((MODE_FILE_0644 << 16) >>> 0, 38);
  h.writeUInt32LE(over(e.localHeaderOffset) ? U32_MAX : e.localHeaderOffset, 42);
  return Buffer.concat([h, e.name, extra]);
}

/**
 * End of central directory. The ZIP64 record and locator are added only when a count, size or
 * offset does not fit the classic record, so small zips stay readable by the oldest tools.
 */
export function endOfCentralDirectory(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = count >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  const parts: Buffer[] = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    rec.writeBigUInt64LE(44n, 4); // size of the rest of this record
    rec.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
    rec.writeUInt16LE(VERSION_ZIP64, 14);
    rec.writeUInt32LE(0, 16); // this disk
    rec.writeUInt32LE(0, 20); // disk with the central directory
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    loc.writeUInt32LE(0, 4);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8); // where the ZIP64 record starts
    loc.writeUInt32LE(1, 16); // total disks
    parts.push(rec, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(Math.min(count, U16_MAX), 8);
  e.writeUInt16LE(Math.min(count, U16_MAX), 10);
  e.writeUInt32LE(Math.min(cdSize, U32_MAX), 12);
  e.writeUInt32LE(Math.min(cdOffset, U32_MAX), 16);
  parts.push(e);
  return Buffer.concat(parts);
}
