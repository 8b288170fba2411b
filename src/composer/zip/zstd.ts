// zstd entries are stored (method 0) zstd data. The input is cut into blocks compressed as
// independent frames in the threadpool; concatenated frames are one valid zstd stream
// (`zstd -d` decodes them all), and unlike one stream this keeps both cores busy.
import zlib from 'node:zlib';
import { compressPieces, outputSizer, type BlockCodec } from './parallel-blocks.ts';
import { totalBytes } from '../../shared/buffers.ts';

// 1 MiB frames with a 128 KiB window (windowLog 17). Level 1 picks a window as large as the frame,
// and the engine holds a copy of it: on the bench's 1 GiB cores (one thread, level 1) 2 MiB
// frames with the default window took 1.93 / 0.91 s (mixed / compressible), 2 MiB frames with a
// 128 KiB window 1.45 / 0.72 s, ratio 2.745 -> 2.719 and 15.60 -> 15.35; 1 MiB frames with it
// 1.51 / 0.73 s at the same ratio (within 0.05%), so twice the frames fit the same block budget.
export const ZSTD_BLOCK_SIZE = 1 << 20;
export const ZSTD_MAX_IN_FLIGHT = 4;
const ZSTD_WINDOW_LOG = 17;

export function zstdCodec(level: number, blockSize = ZSTD_BLOCK_SIZE, maxInFlight = ZSTD_MAX_IN_FLIGHT): BlockCodec {
  let frames = 0;
  const sizer = outputSizer();
  return {
    blockSize,
    maxInFlight,
    crcOf: 'output',
    compress(block, final) {
      // An empty last block needs no frame, unless the stream would otherwise have none at all.
      if (final && block.length === 0 && frames > 0) return Promise.resolve([]);
      frames++;
      const engine = zlib.createZstdCompress({
        params: {
          [zlib.constants.ZSTD_c_compressionLevel]: level,
          [zlib.constants.ZSTD_c_checksumFlag]: 1, // zstd -d verifies each frame
          [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
          [zlib.constants.ZSTD_c_windowLog]: ZSTD_WINDOW_LOG,
        },
        pledgedSrcSize: block.length,
        chunkSize: sizer.chunkSize(block.length, block.length + (block.length >> 7) + 1024),
      });
      return compressPieces(engine, block).then((out) => { sizer.seen(block.length, totalBytes(out)); return out; });
    },
  };
}
