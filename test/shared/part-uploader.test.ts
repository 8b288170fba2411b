// The multipart uploader against the real RGW: round trip, memory bound, failure hand-back, abort.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { createTestBucket } from '../helpers/s3.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createS3Client } from '../../src/shared/s3-client.ts';
import { abortUpload, completeUpload, createUpload, s3PartSender } from '../../src/shared/s3-commands.ts';
import { PartUploader } from '../../src/shared/part-uploader.ts';
import { MultipartWriteStream } from '../../src/agent/uploader/multipart-stream.ts';
import { fixedSchedule } from '../../src/shared/part-schedule.ts';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });

/** Yields `data` in chunks of `size` (like a pipe or a zip writer would). */
function chunked(data: Buffer, size: number): Readable {
  return Readable.from((function* () { for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size); })());
}

t.test('MultipartWriteStream round-trips 40 MiB of random data in 5 MiB parts', async (t) => {
  const b = await createTestBucket('mpu');
  t.teardown(() => b.destroy());
  const data = randomBytes(40 * MiB + 12345);
  const out = new MultipartWriteStream({ client: b.client, bucket: b.name, key: 'big.zip', schedule: fixedSchedule(5 * MiB), concurrency: 4, log });
  const started = process.hrtime.bigint();
  await pipeline(chunked(data, 64 * 1024), out);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const r = await out.result;
  t.equal(r.bytes, data.length);
  t.ok(r.etag, 'an ETag, from HeadObject when RGW sends an empty one');
  t.ok((await b.get('big.zip')).equals(data), 'content is byte-identical');
  t.equal(await b.uploadsInProgress(), 0);
  t.comment(`upload: ${(data.length / MiB / (ms / 1000)).toFixed(1)} MiB/s (5 MiB parts, concurrency 4)`);
});

t.test('small objects (under one part) and large single chunks work', async (t) => {
  const b = await createTestBucket('mpu');
  t.teardown(() => b.destroy());
  const small = randomBytes(1000);
  const s = new MultipartWriteStream({ client: b.client, bucket: b.name, key: 'small', schedule: fixedSchedule(5 * MiB), concurrency: 2, log });
  await pipeline(Readable.from([small]), s);
  t.ok((await b.get('small')).equals(small));
  const big = randomBytes(11 * MiB); // one chunk holding two whole parts: uploaded as views
  const l = new MultipartWriteStream({ client: b.client, bucket: b.name, key: 'onechunk', schedule: fixedSchedule(5 * MiB), concurrency: 2, log });
  await pipeline(Readable.from([big]), l);
  t.ok((await b.get('onechunk')).equals(big));
});

t.test('destroying the stream aborts the upload', async (t) => {
  const b = await createTestBucket('mpu');
  t.teardown(() => b.destroy());
  const s = new MultipartWriteStream({ client: b.client, bucket: b.name, key: 'x', schedule: fixedSchedule(5 * MiB), concurrency: 2, log });
  s.on('error', () => {}); // expected: the destroy reason
  await new Promise<void>((resolve) => s.write(randomBytes(6 * MiB), () => resolve()));
  s.destroy(new Error('test abort'));
  await t.rejects(s.result, /test abort/);
  t.equal(await b.uploadsInProgress(), 0);
  t.same(await b.keys(), []);
});

for (const concurrency of [1, 3]) {
  t.test(`on a failure the uploader hands back every byte after the confirmed prefix (concurrency ${concurrency})`, async (t) => {
    const b = await createTestBucket('mpu');
    const proxy = await startTcpProxy(Number(new URL(b.config.endpoint!).port));
    t.teardown(async () => { await proxy.close(); await b.destroy(); });
    const client = createS3Client({ ...b.config, endpoint: proxy.endpoint }, { maxAttempts: 2 });
    t.teardown(() => client.destroy());
    const uploadId = await createUpload({ client, bucket: b.name, key: 'cut' });
    const u = new PartUploader({ send: s3PartSender({ client, bucket: b.name, key: 'cut' }, uploadId), schedule: fixedSchedule(5 * MiB), concurrency, log });
    const data = randomBytes(33 * MiB);
    // Sequential parts: two get through, the third is cut. Parallel parts share the 12 MiB, so
    // any of them may be confirmed, in any order; only a contiguous prefix may count.
    proxy.cutAfter(12 * MiB);
    let off = 0;
    for (; off < data.length; off += 256 * 1024) {
      if (!(await u.write(data.subarray(off, off + 256 * 1024)))) { off += 256 * 1024; break; }
    }
    t.ok(u.failure, 'the failure is reported');
    const back = await u.unconfirmed();
    if (concurrency === 1) t.equal(back.parts.length, 2, 'two parts confirmed');
    else t.ok(back.parts.length <= 2, `confirmed prefix of ${back.parts.length} parts`);
    t.equal(back.confirmedBytes, back.parts.length * 5 * MiB);
    t.ok(Buffer.concat([...back.buffers]).equals(data.subarray(back.confirmedBytes, off)), 'the rest is exactly the unconfirmed bytes');
  });
}

t.test('a larger part buffer waits until the smaller parts held leave room for it in the budget', async (t) => {
  // The store here is a sender whose answers the test gives: the wait is on our side, not S3's.
  const pending: Array<() => void> = [];
  const send = (n: number) => new Promise<string>((resolve) => { pending.push(() => resolve(`"etag-${n}"`)); });
  // maxParts 30: parts 1-3 are 5 MiB, then 10 MiB; 20 MiB of budget holds three 5 MiB parts.
  const u = new PartUploader({ send, schedule: { firstBytes: 5 * MiB, maxBytes: 10 * MiB, maxParts: 30 }, concurrency: 4, budgetBytes: 20 * MiB, log });
  const mib = Buffer.alloc(MiB, 7);
  for (let i = 0; i < 15; i++) t.ok(await u.write(mib), `MiB ${i + 1} taken`);
  t.equal(pending.length, 3, 'three 5 MiB parts in flight, unanswered');
  let taken = false;
  const next = u.write(mib).then((ok) => { taken = ok; });
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(taken, '15 MiB held + a 10 MiB buffer would pass the 20 MiB budget: the write waits');
  pending.shift()!();
  await next;
  t.ok(taken, 'one part answered: 10 + 10 MiB fit, the write goes on');
  const answering = setInterval(() => { while (pending.length > 0) pending.shift()!(); }, 5);
  t.teardown(() => clearInterval(answering));
  for (let i = 0; i < 9; i++) await u.write(mib);
  t.ok(await u.flush());
  t.same(u.parts().map((p) => p.size / MiB), [5, 5, 5, 10]);
});

t.test('a successful flush frees the part buffers; a part that was a view of the caller\'s chunk is left alone', async (t) => {
  const sent: Buffer[] = [];
  const send = async (n: number, body: Buffer) => { sent.push(body); return `"etag-${n}"`; };
  const u = new PartUploader({ send, schedule: fixedSchedule(5 * MiB), concurrency: 2, log });
  const mib = Buffer.alloc(MiB, 1);
  for (let i = 0; i < 10; i++) t.ok(await u.write(mib)); // parts 1 and 2: copied into our buffers
  const whole = Buffer.alloc(5 * MiB, 2);
  t.ok(await u.write(whole)); // part 3: a whole part, sent as a view of this chunk
  t.ok(await u.write(Buffer.alloc(2 * MiB, 3))); // part 4, the short last one: in our buffer
  t.same(sent.map((b) => b.length / MiB), [5, 5, 5], 'three parts sent before the flush');
  t.ok(await u.flush());
  t.same(u.parts().map((p) => p.size / MiB), [5, 5, 5, 2]);
  t.same(sent.map((b) => b.length), [0, 0, 5 * MiB, 0], 'our buffers are freed (detached: every view is empty)');
  t.ok(whole.length === 5 * MiB && whole.every((x) => x === 2), "the caller's chunk is whole");
});

t.test('parts grow as the schedule says, within the memory budget; past S3_MAX_PARTS is a coded failure', async (t) => {
  const b = await createTestBucket('mpu');
  t.teardown(() => b.destroy());
  const uploadId = await createUpload({ client: b.client, bucket: b.name, key: 'grow' });
  // maxParts 10: a size step every part (5, 10, 10, ... MiB); a budget of two 10 MiB parts.
  const schedule = { firstBytes: 5 * MiB, maxBytes: 10 * MiB, maxParts: 10 };
  const u = new PartUploader({ send: s3PartSender({ client: b.client, bucket: b.name, key: 'grow' }, uploadId), schedule, concurrency: 4, budgetBytes: 20 * MiB, log });
  const data = randomBytes(37 * MiB);
  for (let off = 0; off < data.length; off += 300 * 1024) t.ok(await u.write(data.subarray(off, off + 300 * 1024)) || t.fail('write failed'));
  t.ok(await u.flush());
  t.same(u.parts().map((p) => p.size / MiB), [5, 10, 10, 10, 2]);
  await completeUpload({ client: b.client, bucket: b.name, key: 'grow' }, uploadId, u.parts());
  t.ok((await b.get('grow')).equals(data), 'content is byte-identical');

  const id2 = await createUpload({ client: b.client, bucket: b.name, key: 'over' });
  const few = new PartUploader({ send: s3PartSender({ client: b.client, bucket: b.name, key: 'over' }, id2), schedule: { ...schedule, maxParts: 2 }, concurrency: 2, log });
  let ok = true;
  for (let off = 0; ok && off < data.length; off += MiB) ok = await few.write(data.subarray(off, off + MiB));
  t.notOk(ok && (await few.flush()), 'a third part is refused');
  t.match(few.failure, { code: 'CDC_S3_PART_LIMIT' });
  const back = await few.unconfirmed();
  t.equal(back.confirmedBytes, 15 * MiB, 'the two parts S3 has: 5 + 10 MiB');
  await abortUpload({ client: b.client, bucket: b.name, key: 'over' }, id2, log);
});
