// An unread output must stop the writer from reading its input (a core is bigger than memory),
// and destroy() must settle every promise, even when the input never sends another byte.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createZipWriter, type EntryCodec } from '../../../src/composer/zip/index.ts';

const MiB = 1024 * 1024;
const noise = randomBytes(3 * MiB + 17); // incompressible, so output bytes track input bytes

function source(limit: number): { input: Readable; produced: () => number } {
  let produced = 0;
  const input = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= limit) { this.push(null); return; }
      const off = produced % (noise.length - 64 * 1024);
      produced += 64 * 1024;
      this.push(noise.subarray(off, off + 64 * 1024));
    },
  });
  return { input, produced: () => produced };
}

for (const codec of ['store', 'deflate', 'zstd'] as EntryCodec[]) {
  t.test(`${codec}: input is read only as fast as the output is`, async (t) => {
    const total = (codec === 'deflate' ? 48 : 160) * MiB; // random data deflates at ~35 MB/s per core
    const { input, produced } = source(total);
    const w = createZipWriter();
    const rss0 = process.memoryUsage.rss();
    const added = w.addStream('core', input, { codec, level: 1 });

    await sleep(800);
    const stalled = produced();
    t.ok(stalled < 40 * MiB, `unread output stops the input (read ${(stalled / MiB).toFixed(1)} MiB)`);
    await sleep(300);
    t.equal(produced(), stalled, 'no further reads while nobody reads the output');

    // Read slowly and watch how far the input runs ahead of what left the writer.
    let consumed = 0;
    let maxLag = 0;
    let maxRss = 0;
    let chunks = 0;
    const reader = (async () => {
      for await (const chunk of w.output) {
        consumed += (chunk as Buffer).length;
        maxLag = Math.max(maxLag, produced() - consumed);
        maxRss = Math.max(maxRss, process.memoryUsage.rss());
        if (++chunks % 8 === 0) await sleep(1);
      }
    })();
    const st = await added;
    await w.finish();
    await reader;
    t.equal(st.inputBytes, total);
    t.ok(consumed > total, 'all bytes came out');
    t.ok(maxLag < 40 * MiB, `input ran at most ${(maxLag / MiB).toFixed(1)} MiB ahead of the output`);
    t.comment(`rss before ${(rss0 / MiB).toFixed(0)} MiB, max while reading ${(maxRss / MiB).toFixed(0)} MiB`);
  });
}

t.test('destroy() while blocked on backpressure rejects the add and errors the output', async (t) => {
  const { input } = source(1024 * MiB);
  const w = createZipWriter();
  const outErr = new Promise<Error>((resolve) => w.output.once('error', resolve));
  const added = w.addStream('core', input, { codec: 'deflate', level: 1 });
  await sleep(300);
  const boom = new Error('timeout');
  w.destroy(boom);
  await t.rejects(added, boom);
  t.equal(await outErr, boom);
  await t.rejects(w.finish(), boom);
  await t.rejects(w.addBuffer('x', Buffer.from('x')), boom);
  t.notOk(input.destroyed, 'the input stays with its owner');
  input.destroy();
});

t.test('destroy() while the input is silent does not hang', async (t) => {
  const input = new Readable({ read() {} }); // never sends anything
  const w = createZipWriter();
  w.output.on('error', () => {});
  w.output.resume();
  const added = w.addStream('core', input, { codec: 'zstd', level: 1 });
  const queued = w.addBuffer('after', Buffer.from('{}'));
  await sleep(50);
  w.destroy(new Error('gave up'));
  await t.rejects(added, /gave up/);
  await t.rejects(queued, /gave up/);
  input.destroy();
});

t.test('the consumer destroying the output rejects the entry in progress', async (t) => {
  const { input } = source(1024 * MiB);
  const w = createZipWriter();
  const added = w.addStream('core', input, { codec: 'store', level: 0 });
  await sleep(100);
  w.output.destroy();
  await t.rejects(added, /closed before the zip was finished/);
  await t.rejects(w.finish());
  input.destroy();
});
