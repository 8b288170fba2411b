// The zip writer against real readers: Info-ZIP unzip, Python's zipfile, zstd.
import t from 'tap';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createZipWriter, type EntryCodec } from '../../../src/composer/zip/index.ts';
import { chunked, extractedHash, mixedData, pythonCheck, saveTo, sha256, tempDir, unzipTest } from './tools.ts';

const data = mixedData(9 * 1024 * 1024 + 12345); // several parallel blocks and a partial last one
const dataHash = sha256(data);

for (const codec of ['deflate', 'store', 'zstd'] as EntryCodec[]) {
  t.test(`${codec}: unzip -t, python zipfile and content round trip`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'a.zip');
    const w = createZipWriter();
    const saved = saveTo(w, path);
    const st = await w.addStream('core', chunked(data), { codec, level: 1 });
    const fin = await w.finish();
    await saved;

    t.equal(st.inputBytes, data.length);
    t.equal(st.method, codec === 'deflate' ? 8 : 0);
    if (codec !== 'store') t.ok(st.storedBytes < data.length / 2, 'compressed');
    t.equal(fin.entries.length, 1);
    t.match(await unzipTest(path), /No errors detected/);
    const py = await pythonCheck(path);
    t.equal(py.bad, null);
    const got = await extractedHash(path, 'core', codec === 'zstd');
    t.same(got, { sha256: dataHash, bytes: data.length }, 'unzip -p output equals the input');
  });
}

t.test('multiple entries: small JSON buffers and a big stream, in order, UTF-8 names', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'm.zip');
  const w = createZipWriter();
  const saved = saveTo(w, path);
  const json = (i: number): Buffer => Buffer.from(JSON.stringify({ entry: i, text: 'ünïcödé ✓' }));
  const names = ['core-dump-info.json', 'crash-ünïcödé-名前.core', 'pod-info ✓.json', 'ps.json', 'empty.core', 'empty.zst', 'stored.json'];
  await w.addBuffer(names[0]!, json(0));
  const big = await w.addStream(names[1]!, chunked(data, 4096), { codec: 'deflate', level: 6 });
  // Not awaited one by one: the writer must still keep them in call order.
  const rest = Promise.all([
    w.addBuffer(names[2]!, json(2), { codec: 'zstd', level: 3 }),
    w.addBuffer(names[3]!, json(3), { level: 9 }),
    w.addStream(names[4]!, Readable.from([]), { codec: 'deflate', level: 1 }),
    w.addStream(names[5]!, Readable.from([]), { codec: 'zstd', level: 1 }),
    w.addBuffer(names[6]!, json(6), { codec: 'store', mtime: new Date(2020, 5, 15, 10, 20, 30) }),
  ]);
  const stats = await rest;
  const fin = await w.finish();
  await saved;

  t.equal(big.inputBytes, data.length);
  t.same(fin.entries.map((e) => e.name), names);
  t.same(stats.map((s) => s.inputBytes), [json(2).length, json(3).length, 0, 0, json(6).length]);
  t.match(await unzipTest(path), /No errors detected/);
  const py = await pythonCheck(path);
  t.equal(py.bad, null);
  t.same(py.entries.map(([n]) => n), names, 'names round trip as UTF-8 in order');
  t.same((await extractedHash(path, names[1]!)).sha256, dataHash);
  t.same(await extractedHash(path, names[4]!), { sha256: sha256(), bytes: 0 }, 'empty stream entry');
  t.same(await extractedHash(path, names[5]!, true), { sha256: sha256(), bytes: 0 }, 'empty zstd entry');
  t.same((await extractedHash(path, names[2]!, true)).sha256, sha256(json(2)));
  t.same((await extractedHash(path, names[6]!)).sha256, sha256(json(6)));
  t.equal(fin.bytes, (await import('node:fs')).statSync(path).size, 'bytes counts the whole zip');
  // DOS time from mtime (local time, 2 s resolution).
  const { stdout } = await (await import('node:util')).promisify((await import('node:child_process')).execFile)(
    'python3', ['-c', 'import sys,zipfile;print(zipfile.ZipFile(sys.argv[1]).getinfo(sys.argv[2]).date_time)', path, names[6]!]);
  t.equal(stdout.trim(), '(2020, 6, 15, 10, 20, 30)');
});

t.test('input errors and wrong use reject and tear the output down', async (t) => {
  const w = createZipWriter();
  const outErr = new Promise<Error>((resolve) => w.output.once('error', resolve));
  w.output.resume();
  await t.rejects(w.addBuffer('', Buffer.from('x')), RangeError, 'empty name');
  await t.rejects(w.addStream('x', Readable.from([]), { codec: 'deflate', level: 12 }), RangeError, 'bad level');
  const input = new Readable({ read() {} });
  input.push(Buffer.alloc(100000, 1));
  const p = w.addStream('core', input, { codec: 'deflate', level: 1 });
  setTimeout(() => input.destroy(new Error('stdin broke')), 20);
  await t.rejects(p, /stdin broke/);
  t.match((await outErr).message, /stdin broke/);
  await t.rejects(w.finish(), /stdin broke/);
});

t.test('finish twice and add after finish reject', async (t) => {
  const w = createZipWriter();
  w.output.resume();
  await w.addBuffer('a', Buffer.from('a'));
  await w.finish();
  await t.rejects(w.finish(), /already/);
  await t.rejects(w.addBuffer('b', Buffer.from('b')), /already/);
});

t.test('deflate levels 0 and 9 and zstd 19 round trip', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'levels.zip');
  const w = createZipWriter();
  const saved = saveTo(w, path);
  const part = data.subarray(0, 3 * 1024 * 1024 + 7);
  await w.addStream('d0', chunked(part), { codec: 'deflate', level: 0 });
  await w.addStream('d9', chunked(part), { codec: 'deflate', level: 9 });
  await w.addStream('z19', chunked(part), { codec: 'zstd', level: 19 });
  await w.finish();
  await saved;
  t.match(await unzipTest(path), /No errors detected/);
  const want = { sha256: sha256(part), bytes: part.length };
  t.same(await extractedHash(path, 'd0'), want);
  t.same(await extractedHash(path, 'd9'), want);
  t.same(await extractedHash(path, 'z19', true), want);
});

t.test('more than 65535 entries use the ZIP64 end of central directory', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'many.zip');
  const w = createZipWriter();
  const saved = saveTo(w, path);
  const n = 70_000;
  for (let i = 0; i < n; i++) await w.addBuffer(`e/${i}`, Buffer.from(String(i)), { codec: 'store' });
  await w.finish();
  await saved;
  t.match(await unzipTest(path), /No errors detected/);
  const py = await pythonCheck(path);
  t.equal(py.bad, null);
  t.equal(py.entries.length, n);
  t.same(py.entries[n - 1], [`e/${n - 1}`, String(n - 1).length]);
});
