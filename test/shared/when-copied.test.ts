// Buffers given back once copied (gc-pacer.ts whenCopied / copied): compressed pieces freed and
// stdin blocks recycled as soon as the part uploader has copied them, never while a part is a view
// of them.
import t from 'tap';
import pino from 'pino';
import { copied, whenCopied } from '../../src/shared/gc-pacer.ts';
import { PartUploader } from '../../src/shared/part-uploader.ts';
import { fixedSchedule } from '../../src/shared/part-schedule.ts';

const MiB = 1024 * 1024;
const tick = () => new Promise((r) => setImmediate(r));
const detached = (b: Buffer) => (b.buffer as ArrayBuffer & { detached: boolean }).detached;

t.test('freed once every piece of the buffer is copied, after the current task', async (t) => {
  const whole = Buffer.alloc(1000, 7);
  const [a, b] = [whole.subarray(0, 600), whole.subarray(600)];
  whenCopied([a, b]);
  copied(a);
  await tick();
  t.notOk(detached(whole), 'one piece still to be copied');
  copied(b);
  t.equal(b.length, 400, 'still readable in the same task');
  await tick();
  t.ok(detached(whole), 'then freed');
  copied(Buffer.alloc(10)); // not registered: nothing happens
  let back = 0;
  const block = Buffer.alloc(64);
  whenCopied([block], () => { back++; });
  copied(block);
  await tick();
  t.same([back, detached(block)], [1, false], 'an owner callback instead of a free');
});

t.test('the part uploader frees what it copied, not what it uploads as a view', async (t) => {
  const sent: Buffer[] = [];
  const up = new PartUploader({
    send: async (_n, body) => { sent.push(Buffer.from(body)); return `"etag"`; },
    schedule: fixedSchedule(5 * MiB), concurrency: 2, log: pino({ level: 'silent' }),
  });
  const big = Buffer.alloc(6 * MiB, 2); // its first 5 MiB are sent as a view, the rest copied
  whenCopied([big]);
  await up.write(big);
  await tick();
  t.notOk(detached(big), 'a part is a view of it: kept');
  const small = Buffer.alloc(MiB, 1);
  whenCopied([small]);
  await up.write(small);
  await tick();
  t.ok(detached(small), 'copied into a part: freed');
  t.ok(await up.flush());
  const all = Buffer.concat(sent);
  t.equal(all.length, 7 * MiB);
  t.ok(all.subarray(0, 6 * MiB).equals(Buffer.alloc(6 * MiB, 2)) && all.subarray(6 * MiB).equals(Buffer.alloc(MiB, 1)), 'every byte uploaded as written');
});
