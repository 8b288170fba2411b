// The deferred sink in front of the real sinks (the spool, and S3 on the test RGW): the zip is
// queued until the core is read or `earlyBytes` are waiting, only then is the sink opened; bytes
// keep their order; an open that fails reaches the writer and `done`; an abort leaves nothing.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { deferSink } from '../../../src/composer/sinks/deferred.ts';
import { openSink, type Sink } from '../../../src/composer/sinks/index.ts';
import { loadConfig } from '../../../src/shared/config.ts';
import { createTestBucket } from '../../helpers/s3.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';

const KiB = 1024;
const log = pino({ level: 'silent' });

function coreDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-defer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real sink (spool without a bucket, S3 with one), and how often the deferred sink opened it. */
function realSink(dir: string, env: Record<string, string> = {}, name = 'dump') {
  const config = loadConfig({ CORE_DIR: dir, SPOOL_MIN_FREE_BYTES: '0', COMP_PART_SIZE_MIB: '5', ...env }).config;
  const counter = { opens: 0 };
  const open = (): Promise<Sink> => { counter.opens++; return openSink({ config, name, log }); };
  return { open, counter };
}

/** The "core read" signal, settled by the test. */
function coreRead() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const write = (s: Sink, chunk: Buffer) => new Promise<void>((resolve, reject) => s.stream.write(chunk, (e) => (e ? reject(e) : resolve())));
const end = (s: Sink) => new Promise<void>((resolve) => s.stream.end(resolve));
/** Lets every pending callback and promise job run: a sink that was going to open has begun. */
const settle = () => new Promise((r) => setTimeout(r, 20));
const ls = spoolListing;
const chunks = (n: number, size = KiB) => Array.from({ length: n }, () => randomBytes(size));

t.test('until the core is read the zip is queued and no sink is opened; then it opens and the bytes keep their order', async (t) => {
  const dir = coreDir(t);
  const { open, counter } = realSink(dir);
  const read = coreRead();
  const sink = deferSink(open, 1024 * KiB, read.promise);
  const early = chunks(200);
  for (const c of early) await write(sink, c);
  await settle();
  t.equal(counter.opens, 0, '200 KiB written, under earlyBytes: not opened');
  t.same(ls(dir), [], 'no spool file yet');

  read.resolve();
  await waitFor('the sink to open', () => ls(dir).includes('dump.zip.part'), 10_000);
  t.equal(counter.opens, 1);
  const late = chunks(50, 4 * KiB);
  for (const c of late) await write(sink, c);
  await end(sink);
  const all = Buffer.concat([...early, ...late]);
  const result = await sink.done;
  t.match(result, { kind: 'spool', path: path.join(dir, 'dump.zip'), bytes: all.length });
  t.ok(fs.readFileSync(path.join(dir, 'dump.zip')).equals(all), 'every byte, in the order written');
  t.equal(counter.opens, 1, 'opened once');
});

t.test('a full queue opens the sink before the core is read', async (t) => {
  const dir = coreDir(t);
  const { open, counter } = realSink(dir);
  const sink = deferSink(open, 64 * KiB, new Promise(() => {})); // the core is never read
  const data = chunks(300);
  for (const c of data.slice(0, 63)) await write(sink, c);
  await settle();
  t.equal(counter.opens, 0, '63 KiB queued: not yet');
  await write(sink, data[63]!);
  t.equal(counter.opens, 1, 'the 64th KiB filled the queue: opened, and that write waited for it');
  t.ok(ls(dir).includes('dump.zip.part'));
  for (const c of data.slice(64)) await write(sink, c);
  await end(sink);
  t.match(await sink.done, { kind: 'spool', bytes: 300 * KiB });
  t.ok(fs.readFileSync(path.join(dir, 'dump.zip')).equals(Buffer.concat(data)), 'in order');
  t.equal(counter.opens, 1);
});

t.test('a core read that failed opens the sink too: what was queued is kept', async (t) => {
  const dir = coreDir(t);
  const { open, counter } = realSink(dir);
  const read = coreRead();
  const sink = deferSink(open, 1024 * KiB, read.promise);
  const data = chunks(10);
  for (const c of data) await write(sink, c);
  read.reject(new Error('stdin broke'));
  await waitFor('the sink to open', () => counter.opens === 1, 10_000);
  await end(sink);
  t.match(await sink.done, { kind: 'spool', bytes: 10 * KiB });
  t.ok(fs.readFileSync(path.join(dir, 'dump.zip')).equals(Buffer.concat(data)));
});

t.test('ending the stream opens the sink at once, even before the core is read', async (t) => {
  const dir = coreDir(t);
  const { open, counter } = realSink(dir);
  const sink = deferSink(open, 1024 * KiB, new Promise(() => {}));
  const data = chunks(3);
  for (const c of data) await write(sink, c);
  await end(sink);
  t.equal(counter.opens, 1);
  t.match(await sink.done, { kind: 'spool', bytes: 3 * KiB });
});

t.test('a sink that fails to open (spool full) fails the stream and done, with its code', async (t) => {
  const full = { SPOOL_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) };
  await t.test('opened when the core is read', async (t) => {
    const dir = coreDir(t);
    const { open } = realSink(dir, full);
    const read = coreRead();
    const sink = deferSink(open, 1024 * KiB, read.promise);
    read.resolve();
    await t.rejects(pipeline(Readable.from(chunks(20)), sink.stream), { code: 'CDC_SPOOL_FULL' });
    await t.rejects(sink.done, { code: 'CDC_SPOOL_FULL' });
    t.same(ls(dir), []);
  });
  await t.test('opened when the queue is full', async (t) => {
    const dir = coreDir(t);
    const { open } = realSink(dir, full);
    const sink = deferSink(open, 16 * KiB, new Promise(() => {}));
    const errors: Error[] = [];
    sink.stream.on('error', (e) => errors.push(e));
    let failed: unknown;
    for (const c of chunks(32)) {
      try { await write(sink, c); } catch (e) { failed = e; break; }
    }
    t.match(failed, { code: 'CDC_SPOOL_FULL' }, 'the write that filled the queue fails');
    await t.rejects(sink.done, { code: 'CDC_SPOOL_FULL' });
    await settle();
    t.match(errors, [{ code: 'CDC_SPOOL_FULL' }], 'the stream errored');
    t.same(ls(dir), []);
  });
});

t.test('abort before the sink opened: nothing is left, in the spool or in S3', async (t) => {
  await t.test('spool', async (t) => {
    const dir = coreDir(t);
    const { open, counter } = realSink(dir);
    const read = coreRead();
    const sink = deferSink(open, 1024 * KiB, read.promise);
    const errors: Error[] = [];
    sink.stream.on('error', (e) => errors.push(e)); // as the zip pipeline listens
    for (const c of chunks(20)) await write(sink, c);
    t.equal(counter.opens, 0);
    await sink.abort(new Error('COMP_TIMEOUT'));
    t.match(errors, [{ message: 'COMP_TIMEOUT' }], 'the stream is torn down with the reason');
    await t.rejects(sink.done);
    read.resolve();
    await settle();
    t.same(ls(dir), [], 'no .part and no .zip');
    t.ok(counter.opens <= 1, 'no second sink opened when the core is read later');
  });
  await t.test('S3', async (t) => {
    const b = await createTestBucket('defer-abort');
    t.teardown(() => b.destroy());
    const dir = coreDir(t);
    const { open, counter } = realSink(dir, b.env);
    const read = coreRead();
    const sink = deferSink(open, 1024 * KiB, read.promise);
    sink.stream.on('error', () => {}); // as the zip pipeline listens
    for (const c of chunks(20)) await write(sink, c);
    await sink.abort(new Error('COMP_TIMEOUT'));
    await t.rejects(sink.done);
    read.resolve();
    await settle();
    t.equal(await b.uploadsInProgress(), 0, 'no multipart upload left open');
    t.same(await b.keys(), []);
    t.same(ls(dir), []);
    t.ok(counter.opens <= 1);
  });
});

// Bug: destroying the stream before the sink opened (what an upstream error does) starts the open,
// but the sink it opens is never torn down: its .part (or multipart upload) stays and done never
// settles. A Sink's stream.destroy() must lead to its cleanup, as makeSink's does.
t.test('the stream destroyed before the sink opened: the sink opened meanwhile is torn down too', async (t) => {
  const dir = coreDir(t);
  const { open } = realSink(dir);
  const sink = deferSink(open, 1024 * KiB, new Promise(() => {}));
  sink.stream.on('error', () => {});
  for (const c of chunks(4)) await write(sink, c);
  sink.stream.destroy(new Error('the zip writer failed'));
  const outcome = await Promise.race([
    sink.done.then(() => 'resolved', () => 'rejected'),
    new Promise((r) => setTimeout(() => r('still pending after 5 s'), 5_000)),
  ]);
  t.equal(outcome, 'rejected', 'done settles, as a failure');
  t.same(ls(dir), [], 'no .part left');
});
