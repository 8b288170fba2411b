// Parallel raw deflate in the way of pigz: each block is compressed on its own in the threadpool
// and ends with a sync flush (byte aligned, not final), only the last block with Z_FINISH, so the
// concatenation is one valid deflate stream. Each block is primed with the previous block's last
// 32 KiB as dictionary, so matches across block borders are kept and the ratio barely drops.
import zlib from 'node:zlib';
import { compressPieces, outputSizer, type BlockCodec } from './parallel-blocks.ts';
import { totalBytes } from '../../shared/buffers.ts';

const WINDOW = 32 * 1024;

export const DEFLATE_BLOCK_SIZE = 1 << 20;
export const DEFLATE_MAX_IN_FLIGHT = 6;

export function deflateCodec(level: number, blockSize = DEFLATE_BLOCK_SIZE, maxInFlight = DEFLATE_MAX_IN_FLIGHT): BlockCodec {
  const sizer = outputSizer();
  return {
    blockSize,
    maxInFlight,
    crcOf: 'input',
    compress(block, final, prev) {
      const flush = final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
      const opts: zlib.ZlibOptions = {
        level,
        // The block's one write flushes too: with the default (no flush) end() flushed in a second
        // step, so 70% of the blocks came out in two pieces (see compressPieces).
        flush,
        finishFlush: flush,
        chunkSize: sizer.chunkSize(block.length, block.length + (block.length >> 4) + 1024),
      };
      if (prev && prev.length > 0) opts.dictionary = Buffer.from(prev.subarray(Math.max(0, prev.length - WINDOW)));
      return compressPieces(zlib.createDeflateRaw(opts), block).then((out) => { sizer.seen(block.length, totalBytes(out)); return out; });
    },
  };
}
