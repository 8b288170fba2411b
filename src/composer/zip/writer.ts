// The zip writer: entries one after another, then the central directory. Streamed entries use a
// data descriptor with 8-byte sizes so a core of any size works; buffers get exact headers.
import type { Readable } from 'node:stream';
import { centralHeader, dataDescriptor, endOfCentralDirectory, localHeader, U16_MAX, type EntryRecord } from './format.ts';
import { ZipOutput } from './output.ts';
import { compressBlocks, type EncodeResult, type Emit, type Input, type Recycle } from './parallel-blocks.ts';
import { DEFLATE_BLOCK_SIZE, deflateCodec } from './deflate-parallel.ts';
import { ZSTD_BLOCK_SIZE, zstdCodec } from './zstd.ts';
import { blocksInFlight } from '../../shared/memory-plan.ts';
import { storeStream } from './store.ts';

export type EntryCodec = 'deflate' | 'store' | 'zstd'; // zstd: a stored entry holding zstd frames
/**
 * inputBytes: bytes read from the caller; storedBytes: bytes of entry data in the zip; crc32: the
 * CRC the zip records, i.e. of the extracted content (for zstd: of the zstd frames, not the input).
 */
export interface EntryStats { name: string; method: 0 | 8; inputBytes: number; storedBytes: number; crc32: number }
export interface ZipWriter {
  readonly output: Readable;
  addBuffer(name: string, data: Buffer, opts?: { codec?: EntryCodec; level?: number; mtime?: Date }): Promise<EntryStats>;
  /** `recycle`: see parallel-blocks.ts; only the compressing codecs copy their input, store passes it on. */
  addStream(name: string, input: Readable, opts: { codec: EntryCodec; level: number; mtime?: Date; recycle?: Recycle }): Promise<EntryStats>;
  finish(): Promise<{ entries: EntryStats[]; bytes: number }>;
  destroy(err: Error): void;
}

const DEFAULT_LEVEL: Record<EntryCodec, number> = { deflate: 6, store: 0, zstd: 3 };

function checkLevel(codec: EntryCodec, level: number): void {
  if (!Object.hasOwn(DEFAULT_LEVEL, codec)) throw new TypeError(`zip: unknown codec ${String(codec)}`);
  if (codec === 'store') return;
  const [lo, hi] = codec === 'deflate' ? [0, 9] : [1, 22];
  if (!Number.isInteger(level) || level < lo || level > hi) {
    throw new RangeError(`zip: ${codec} level must be an integer ${lo}..${hi}, got ${level}`);
  }
}

/** How many blocks compress at once: from the threads and the block budget (COMP_MEMORY_MIB). */
export interface Parallelism { readonly threads: number; readonly blockBudgetBytes: number }

function encode(codec: EntryCodec, level: number, input: Input, emit: Emit, signal: AbortSignal, par: Parallelism | undefined, recycle?: Recycle): Promise<EncodeResult> {
  const inFlight = (blockSize: number) => (par ? blocksInFlight(par.blockBudgetBytes, blockSize, par.threads) : undefined);
  switch (codec) {
    case 'deflate': return compressBlocks(input, deflateCodec(level, DEFLATE_BLOCK_SIZE, inFlight(DEFLATE_BLOCK_SIZE)), emit, signal, recycle);
    case 'zstd': return compressBlocks(input, zstdCodec(level, ZSTD_BLOCK_SIZE, inFlight(ZSTD_BLOCK_SIZE)), emit, signal, recycle);
    case 'store': return storeStream(input, emit, signal, recycle);
    default: throw new TypeError(`zip: unknown codec ${String(codec)}`);
  }
}

/** `parallel`: see Parallelism; without it, the codecs' own defaults. */
export function createZipWriter(parallel?: Parallelism): ZipWriter {
  const out = new ZipOutput();
  const abort = new AbortController();
  const records: EntryRecord[] = [];
  const stats: EntryStats[] = [];
  let tail: Promise<unknown> = Promise.resolve(); // serializes operations: entries never interleave
  let finishing = false;

  // A failure mid-entry leaves a zip that cannot be completed: tear everything down.
  const fail = (err: unknown): Error => {
    const e = err instanceof Error ? err : new Error(String(err));
    if (!abort.signal.aborted) abort.abort(out.failure ?? e);
    if (!out.failure) out.destroy(e);
    return out.failure ?? e;
  };
  out.readable.once('close', () => {
    if (out.failure) fail(out.failure); // consumer destroyed the output: stop the entry in progress
  });

  // Runs `op` after the previous one; rejects at once when the writer is torn down, even if `op`
  // is stuck waiting on a silent input.
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(() => {
      if (out.failure) throw out.failure;
      return op();
    });
    tail = run.catch(() => {});
    let onAbort = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abort.signal.reason);
      if (abort.signal.aborted) onAbort();
      else abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    const settled = run.then(
      (v) => { abort.signal.removeEventListener('abort', onAbort); return v; },
      (e: unknown) => { abort.signal.removeEventListener('abort', onAbort); throw fail(e); },
    );
    return Promise.race([settled, aborted]);
  };

  const nameBytes = (name: string): Buffer => {
    const b = Buffer.from(name, 'utf8');
    if (b.length === 0 || b.length > U16_MAX) throw new RangeError(`zip: entry name must be 1..65535 bytes, got ${b.length}`);
    return b;
  };

  const checkOpen = (): void => {
    if (finishing) throw new Error('zip: finish() was already called');
    if (out.failure) throw out.failure;
  };

  const emit: Emit = (buf) => out.write(buf);

  // What unzip extracts: for deflate the input; for store and zstd (method 0) the stored bytes.
  const entryRecord = (nb: Buffer, method: 0 | 8, streamed: boolean, mtime: Date, res: EncodeResult, offset: number): EntryRecord => ({
    name: nb, method, streamed, mtime,
    crc32: method === 8 ? res.crc32 : res.storedCrc32,
    compressedSize: res.storedBytes,
    uncompressedSize: method === 8 ? res.inputBytes : res.storedBytes,
    localHeaderOffset: offset,
  });

  const record = (name: string, r: EntryRecord, res: EncodeResult): EntryStats => {
    records.push(r);
    const s: EntryStats = { name, method: r.method, inputBytes: res.inputBytes, storedBytes: res.storedBytes, crc32: r.crc32 };
    stats.push(s);
    return s;
  };

  /** The entry name's bytes, or why the call is refused (only that call: the zip stays usable). */
  const validated = (name: string, codec: EntryCodec, level: number): Buffer | Error => {
    try {
      checkOpen();
      checkLevel(codec, level);
      return nameBytes(name);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };

  return {
    output: out.readable,

    addBuffer(name, data, opts = {}) {
      const codec = opts.codec ?? 'deflate';
      const level = opts.level ?? DEFAULT_LEVEL[codec];
      const nb = validated(name, codec, level);
      if (nb instanceof Error) return Promise.reject(nb);
      const mtime = opts.mtime ?? new Date();
      return serial(async () => {
        // The data is in memory already, so compress first and write a header with exact sizes:
        // no data descriptor, which strict streaming readers prefer for stored entries.
        const parts: Buffer[] = [];
        const res = await encode(codec, level, [data], async (b) => { parts.push(b); }, abort.signal, parallel);
        const r = entryRecord(nb, codec === 'deflate' ? 8 : 0, false, mtime, res, out.bytes);
        await out.write(localHeader(r));
        for (const p of parts) await out.write(p);
        return record(name, r, res);
      });
    },

    addStream(name, input, opts) {
      const { codec, level } = opts;
      const nb = validated(name, codec, level);
      if (nb instanceof Error) return Promise.reject(nb);
      const mtime = opts.mtime ?? new Date();
      return serial(async () => {
        const method = codec === 'deflate' ? 8 : 0;
        const offset = out.bytes;
        const head = { name: nb, method, streamed: true, mtime, crc32: 0, compressedSize: 0, uncompressedSize: 0 } as const;
        await out.write(localHeader(head));
        // The caller owns `input`: on failure we stop reading it but neither destroy nor drain it.
        const iter = input.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array | string>;
        const res = await encode(codec, level, iter, emit, abort.signal, parallel, opts.recycle);
        const r = entryRecord(nb, method, true, mtime, res, offset);
        await out.write(dataDescriptor(r.crc32, r.compressedSize, r.uncompressedSize));
        return record(name, r, res);
      });
    },

    finish() {
      try {
        checkOpen();
      } catch (e) {
        return Promise.reject(e);
      }
      finishing = true;
      return serial(async () => {
        const cdOffset = out.bytes;
        for (const r of records) await out.write(centralHeader(r));
        const cdSize = out.bytes - cdOffset;
        await out.write(endOfCentralDirectory(records.length, cdOffset, cdSize));
        out.end();
        return { entries: stats.slice(), bytes: out.bytes };
      });
    },

    destroy(err) {
      fail(err);
    },
  };
}
