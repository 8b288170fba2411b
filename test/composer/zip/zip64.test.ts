// Cores bigger than 4 GiB: a deflated entry > 4 GiB (ZIP64 sizes in the data descriptor and the
// central directory) and a stored entry that pushes later offsets and the central directory past
// 4 GiB (ZIP64 offsets, ZIP64 end of central directory record and locator). ~1-2 minutes.
import t from 'tap';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { createZipWriter } from '../../../src/composer/zip/index.ts';
import { pythonCheck, saveTo, tempDir, unzipTest } from './tools.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function repeated(block: Buffer, total: number): Readable {
  return Readable.from((function* () {
    for (let left = total; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
  })());
}

t.test('entries and offsets beyond 4 GiB', { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'big.zip');
  let text = '';
  for (let i = 0; text.length < MiB; i++) text += `${i} thread ${i % 17} frame 0x7ffd${(i * 7919).toString(16)} in libc.so.6\n`;
  const textBlock = Buffer.from(text.slice(0, MiB));
  const deflated = 4 * GiB + 256 * MiB + 12345; // not a multiple of the block size
  const stored = 4 * GiB + 16 * MiB;

  const t0 = performance.now();
  const w = createZipWriter();
  const saved = saveTo(w, path);
  await w.addBuffer('dump-info.json', Buffer.from('{"size":"big"}'));
  const d = await w.addStream('core-deflate', repeated(textBlock, deflated), { codec: 'deflate', level: 1 });
  const s = await w.addStream('core-store', repeated(Buffer.alloc(MiB), stored), { codec: 'store', level: 0 });
  await w.addBuffer('after-4GiB.json', Buffer.from('{"offset":"> 4 GiB"}'), { codec: 'store' });
  const fin = await w.finish();
  await saved;
  t.comment(`written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  t.equal(d.inputBytes, deflated);
  t.equal(s.storedBytes, stored);
  t.ok(fin.bytes > 4 * GiB, 'the zip itself is larger than 4 GiB');
  t.equal((await stat(path)).size, fin.bytes);
  const t1 = performance.now();
  t.match(await unzipTest(path), /No errors detected/);
  t.comment(`unzip -t in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  // unzip -t has CRC-checked all 8.5 GiB; Python reads the directory and the entry past 4 GiB.
  const py = await pythonCheck(path, 'after-4GiB.json');
  t.equal(py.bad, null, 'python zipfile reads the entry past 4 GiB');
  t.same(py.entries, [['dump-info.json', 14], ['core-deflate', deflated], ['core-store', stored], ['after-4GiB.json', 20]]);
});
