// Cuts an input into fixed-size blocks, compresses a bounded number of them at once in libuv's
// threadpool (so both cores work) and emits the results in input order. Memory stays at about
// maxInFlight * (block + compressed block), whatever the input size.
import { crc32 } from 'node:zlib';
import type { Transform } from 'node:stream';
import { freeNow, whenCopied } from '../../shared/gc-pacer.ts';

export interface EncodeResult {
  inputBytes: number;
  storedBytes: number;
  crc32: number; // of the input (0 when the codec's `crcOf` is 'output')
  storedCrc32: number; // of the bytes written: what a stored (method 0) entry's CRC must be (0 for 'input')
}

export interface BlockCodec {
  blockSize: number;
  maxInFlight: number;
  /** Which CRC the zip needs: the input's (deflate) or the written bytes' (a stored zstd frame). One CRC pass, not two. */
  crcOf: 'input' | 'output';
  /**
   * Compresses one block into its output, in pieces (compressPieces); `final` marks the last
   * (possibly empty) block. `prev` is the block before, valid only during the call: its buffer is
   * reused afterwards, so copy any part you keep.
   */
  compress(block: Buffer, final: boolean, prev: Buffer | undefined): Promise<Buffer[]>;
}

/**
 * Runs one block through a zlib engine (deflate, zstd) in the threadpool and hands back the output
 * as the engine gave it. Node's one-call forms (zlib.deflateRaw, zlib.zstdCompress) concatenate
 * the pieces: a zstd frame ends in a piece of its own (7 bytes, on end()), so that copied every
 * frame, 369 MiB per GiB of the bench's core, all of it garbage the GC then had to free.
 */
export function compressPieces(engine: Transform, block: Buffer): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    engine.on('data', (b: Buffer) => pieces.push(b));
    engine.once('error', reject);
    engine.once('end', () => { whenCopied(pieces); resolve(pieces); });
    engine.end(block);
  });
}

export type Emit = (buf: Buffer) => Promise<void>;

/**
 * The output buffer for a block, sized from the last block's ratio. A worst-case buffer for every
 * block (1-2 MiB each, ~1,000 per GiB) made a highly compressible core GC-bound: 28% of the main
 * thread in GC, deflate-1 at 0.78x `pigz | rclone`. A block that comes out bigger than the guess
 * only costs the codec a second pass over its output.
 */
export function outputSizer(): { chunkSize(inputBytes: number, worstBytes: number): number; seen(inputBytes: number, outputBytes: number): void } {
  let ratio = 1;
  return {
    chunkSize: (inputBytes, worstBytes) => Math.max(64 * 1024, Math.min(worstBytes, Math.ceil(inputBytes * ratio * 1.25) + 16 * 1024)),
    seen(inputBytes, outputBytes) { if (inputBytes > 0) ratio = outputBytes / inputBytes; },
  };
}
export type Input = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>;

/** Streams may hand out strings or plain Uint8Arrays; view them as Buffers without copying bytes. */
export function toBuffer(raw: Uint8Array | string): Buffer {
  if (typeof raw === 'string') return Buffer.from(raw);
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Called with each input chunk once its bytes are copied into a block: its owner may reuse it. */
export type Recycle = (chunk: Buffer) => void;

export async function compressBlocks(input: Input, codec: BlockCodec, emit: Emit, signal: AbortSignal, recycle?: Recycle): Promise<EncodeResult> {
  const { blockSize, maxInFlight } = codec;
  const inFlight: { input: Buffer; out: Promise<Buffer[]> }[] = [];
  const free: Buffer[] = []; // block buffers come back here, so a long input allocates a few only
  let crc = 0;
  let storedCrc = 0;
  let inputBytes = 0;
  let storedBytes = 0;
  let prev: Buffer | undefined;
  let block: Buffer = Buffer.allocUnsafe(blockSize);
  let fill = 0;

  const dispatch = (data: Buffer, final: boolean): void => {
    if (codec.crcOf === 'input') crc = crc32(data, crc);
    const out = codec.compress(data, final, prev);
    out.catch(() => {}); // awaited in order below; this only keeps a later failure from being "unhandled"
    inFlight.push({ input: data, out });
    prev = data;
  };
  const emitOldest = async (): Promise<void> => {
    const head = inFlight.shift();
    if (!head) return;
    for (const out of await head.out) {
      storedBytes += out.length;
      if (codec.crcOf === 'output') storedCrc = crc32(out, storedCrc);
      await emit(out);
    }
    // `prev` is handed to the next block's compress(), which copies what it needs synchronously.
    if (head.input.length !== blockSize || head.input === prev) return;
    if (free.length < 2) free.push(head.input);
    else freeNow(head.input);
  };

  try {
    for await (const raw of input) {
      if (signal.aborted) throw signal.reason;
      const chunk = toBuffer(raw);
      inputBytes += chunk.length;
      let pos = 0;
      while (pos < chunk.length) {
        const n = Math.min(chunk.length - pos, blockSize - fill);
        chunk.copy(block, fill, pos, pos + n);
        fill += n;
        pos += n;
        if (fill === blockSize) {
          dispatch(block, false);
          block = free.pop() ?? Buffer.allocUnsafe(blockSize);
          fill = 0;
          while (inFlight.length >= maxInFlight) await emitOldest();
        }
      }
      recycle?.(chunk);
    }
    if (signal.aborted) throw signal.reason;
    dispatch(block.subarray(0, fill), true);
    while (inFlight.length > 0) await emitOldest();
  } finally {
    inFlight.length = 0;
    free.forEach(freeNow); // compressed and emitted: nothing views them
  }
  return { inputBytes, storedBytes, crc32: crc, storedCrc32: storedCrc };
}
