// Output buffers sized from the last block's ratio: a run of zero blocks (tiny outputs) followed by
// random ones (outputs bigger than the guess) must still round-trip through both block codecs,
// and the guess must follow the data rather than stay at the worst case.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { compressBlocks, outputSizer } from '../../../src/composer/zip/parallel-blocks.ts';
import { deflateCodec } from '../../../src/composer/zip/deflate-parallel.ts';
import { zstdCodec } from '../../../src/composer/zip/zstd.ts';

const MiB = 1 << 20;

t.test('the guess follows the last ratio, within 64 KiB and the worst case', async (t) => {
  const s = outputSizer();
  t.equal(s.chunkSize(MiB, MiB + 66_560), MiB + 66_560, 'before any block: the worst case');
  s.seen(MiB, 10_000);
  t.ok(s.chunkSize(MiB, MiB + 66_560) < 100 * 1024, 'after a block that compressed 100:1, a small buffer');
  s.seen(MiB, 0);
  t.equal(s.chunkSize(MiB, MiB + 66_560), 64 * 1024, 'never under 64 KiB');
  s.seen(MiB, MiB + 1000);
  t.equal(s.chunkSize(MiB, MiB + 66_560), MiB + 66_560, 'never over the worst case');
});

// Zero blocks, then random blocks bigger than the guess, then zeros again, and a short last block.
const data = Buffer.concat([Buffer.alloc(3 * MiB), randomBytes(3 * MiB), Buffer.alloc(2 * MiB), randomBytes(12_345)]);
const chunks = function* () { for (let at = 0; at < data.length; at += 64 * 1024) yield data.subarray(at, at + 64 * 1024); };

for (const [name, codec, decode] of [
  ['deflate', deflateCodec(1), (b: Buffer) => zlib.inflateRawSync(b)],
  ['zstd', zstdCodec(1), (b: Buffer) => zlib.zstdDecompressSync(b)],
] as const) {
  t.test(`${name}: outputs bigger than the guess still round-trip`, async (t) => {
    const out: Buffer[] = [];
    const r = await compressBlocks(chunks(), codec, async (b) => { out.push(b); }, new AbortController().signal);
    t.equal(r.inputBytes, data.length);
    t.ok(decode(Buffer.concat(out)).equals(data), 'decoded bytes equal the input');
  });
}
