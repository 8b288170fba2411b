// Downloads a dump's zip and extracts it, checking every entry's CRC-32 and size against the
// central directory; a `.core.zst` entry (zstd frames) is decompressed into a plain `.core`.
// Entry names come from the store: only plain file names are written, never over existing files.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CdcError } from '../shared/errors.ts';
import { dataOffset, readEntries, type ZipEntryInfo, type ZipSource } from '../shared/zip-read.ts';
import type { Store } from './store.ts';

/** Counts bytes going through, and their CRC-32. */
class Tally extends Transform {
  bytes = 0;
  crc = 0;
  private readonly onBytes: ((n: number) => void) | undefined;
  constructor(onBytes?: (n: number) => void) {
    super();
    this.onBytes = onBytes;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, c?: Buffer) => void): void {
    this.bytes += chunk.length;
    this.crc = zlib.crc32(chunk, this.crc);
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}

const localError = (e: unknown, what: string) =>
  e instanceof CdcError ? e : new CdcError('CDC_CLI_LOCAL_FILE', `${what}: ${(e as Error).message}`);

/** Downloads the zip to `file` (through `file`.part); `progress` is told the bytes so far. */
export async function download(store: Store, key: string, file: string, progress: (done: number, total: number) => void): Promise<number> {
  const { body, length: total } = await store.objects.get(key);
  const part = `${file}.part`;
  const tally = new Tally((n) => progress(n, total));
  try {
    await pipeline(body, tally, fs.createWriteStream(part, { flags: 'w', mode: 0o600 }));
  } catch (e) {
    await fsp.rm(part, { force: true });
    throw localError(e, `downloading to ${part}`);
  }
  if (tally.bytes !== total) throw new CdcError('CDC_ZIP_INVALID', `got ${tally.bytes} of ${total} bytes of ${key}`);
  await fsp.rename(part, file);
  return total;
}

function fileSource(fd: fs.promises.FileHandle, size: number): ZipSource {
  return {
    size,
    async readAt(offset, length) {
      const b = Buffer.alloc(length);
      const { bytesRead } = await fd.read(b, 0, length, offset);
      return b.subarray(0, bytesRead);
    },
  };
}

/** The file an entry is extracted to: its own name, `.core.zst` as `.core`. */
export function outputName(entry: string): string {
  if (entry === '' || entry.includes('/') || entry.includes('\\') || entry.startsWith('.') || entry.includes('\0')) {
    throw new CdcError('CDC_ZIP_INVALID', `unsafe entry name ${JSON.stringify(entry)}`);
  }
  return entry.endsWith('.core.zst') ? entry.slice(0, -4) : entry;
}

export interface Extracted {
  readonly entry: string;
  readonly file: string;
  readonly bytes: number;
}

async function extractEntry(zipFile: string, src: ZipSource, e: ZipEntryInfo, dir: string): Promise<Extracted> {
  const file = path.join(dir, outputName(e.name));
  const start = await dataOffset(src, e);
  if (e.method !== 0 && e.method !== 8) throw new CdcError('CDC_ZIP_INVALID', `${e.name} uses compression method ${e.method}`);
  const check = new Tally();
  const out = new Tally();
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | Transform> = [
    e.compressedSize === 0 ? fs.createReadStream('/dev/null') : fs.createReadStream(zipFile, { start, end: start + e.compressedSize - 1 }),
    ...(e.method === 8 ? [zlib.createInflateRaw()] : []),
    check,
    ...(e.name.endsWith('.core.zst') ? [zlib.createZstdDecompress()] : []),
    out,
    fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }),
  ];
  try {
    await pipeline(stages as unknown as [Readable, ...Transform[]]);
  } catch (e2) {
    await fsp.rm(file, { force: true }).catch(() => {});
    throw e2 instanceof Error && /EEXIST/.test(e2.message) ? localError(e2, `${file} exists`) : new CdcError('CDC_ZIP_INVALID', `${e.name}: ${(e2 as Error).message}`);
  }
  if (check.bytes !== e.size || check.crc !== e.crc32) {
    await fsp.rm(file, { force: true });
    throw new CdcError('CDC_ZIP_INVALID', `${e.name} fails its CRC-32 or size check (${check.bytes} of ${e.size} bytes)`);
  }
  return { entry: e.name, file, bytes: out.bytes };
}

/** Extracts every entry of `zipFile` into `dir`. */
export async function extractAll(zipFile: string, dir: string): Promise<Extracted[]> {
  const fd = await fsp.open(zipFile, 'r');
  try {
    const src = fileSource(fd, (await fd.stat()).size);
    const out: Extracted[] = [];
    for (const e of await readEntries(src)) out.push(await extractEntry(zipFile, src, e, dir));
    return out;
  } finally {
    await fd.close();
  }
}
