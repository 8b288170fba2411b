// The sinks against the real RGW: direct upload, spool fallbacks, S3 cut mid-stream (through the
// fault proxy) then completion by the agent's completePartialUpload, abort, spool limits.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { createTestBucket, type TestBucket } from '../../helpers/s3.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { loadConfig, type Config } from '../../../src/shared/config.ts';
import { openSink, type Sink } from '../../../src/composer/sinks/index.ts';
import { readManifest } from '../../../src/shared/spool/index.ts';
import { completePartialUpload } from '../../../src/agent/uploader/complete-partial.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });

function tmpCoreDir(t: Tap): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-sink-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
/** The part of a tap test these helpers use. */
type Tap = { teardown(fn: () => unknown): void };

function config(coreDir: string, env: Record<string, string>): Config {
  return loadConfig({
    CORE_DIR: coreDir, COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '4', SPOOL_MIN_FREE_BYTES: '0', ...env,
  }).config;
}

function chunked(data: Buffer, size = 64 * 1024): Readable {
  return Readable.from((function* () { for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size); })());
}

async function feed(sink: Sink, data: Buffer) {
  await pipeline(chunked(data), sink.stream);
  return sink.done;
}

const ls = spoolListing;

t.test('direct: a 40 MiB stream lands in S3 byte for byte, nothing on disk', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const dir = tmpCoreDir(t);
  const data = randomBytes(40 * MiB + 777);
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const started = Date.now();
  const sink = await openSink({ config: config(dir, { ...b.env, S3_KEY_PREFIX: 'cl-a' }), name: 'core1', log });
  const r = await feed(sink, data);
  clearInterval(timer);
  t.same(r, { kind: 's3', bucket: b.name, key: 'cl-a/core1.zip', bytes: data.length });
  t.ok((await b.get('cl-a/core1.zip')).equals(data));
  t.same(ls(dir), []);
  t.equal(await b.uploadsInProgress(), 0);
  t.comment(`direct: ${(data.length / MiB / ((Date.now() - started) / 1000)).toFixed(1)} MiB/s, rss +${((peak - before) / MiB).toFixed(0)} MiB (data buffer itself is 40 MiB, excluded)`);
});

t.test('S3 down at start (closed port): the whole zip is spooled', async (t) => {
  const dir = tmpCoreDir(t);
  const srv = (await import('node:net')).createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r())); // now nothing listens there
  const data = randomBytes(3 * MiB);
  const b = { S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET_NAME: 'nowhere', S3_ACCESS_KEY: 'a', S3_SECRET: 'b' };
  const r = await feed(await openSink({ config: config(dir, b), name: 'core2', log }), data);
  t.equal(r.kind, 'spool');
  t.match(r, { path: path.join(dir, 'core2.zip'), bytes: data.length, reason: /CDC_S3_UNREACHABLE/ });
  t.same(ls(dir), ['core2.zip']);
  t.ok(fs.readFileSync(path.join(dir, 'core2.zip')).equals(data));
  t.equal(fs.statSync(path.join(dir, 'core2.zip')).mode & 0o777, 0o600);
});

t.test('bad credentials: spooled with the S3 error as reason', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const dir = tmpCoreDir(t);
  const r = await feed(await openSink({ config: config(dir, { ...b.env, S3_SECRET: 'wrong' }), name: 'core3', log }), Buffer.from('zip'));
  t.match(r, { kind: 'spool', reason: /CDC_S3_UNREACHABLE.*SignatureDoesNotMatch/ });
  t.same(ls(dir), ['core3.zip']);
});

t.test('no bucket or direct upload off: spooled', async (t) => {
  const dir = tmpCoreDir(t);
  const a = await feed(await openSink({ config: config(dir, {}), name: 'c4', log }), Buffer.from('a'));
  t.match(a, { kind: 'spool', reason: /CDC_S3_CONFIG/ });
  const b = await feed(await openSink({ config: config(dir, { S3_BUCKET_NAME: 'x', COMP_DIRECT_UPLOAD: 'false' }), name: 'c5', log }), Buffer.from('b'));
  t.match(b, { kind: 'spool', reason: /COMP_DIRECT_UPLOAD/ });
  t.same(ls(dir), ['c4.zip', 'c5.zip']);
});

async function cutMidStream(t: Tap, b: TestBucket, name: string, data: Buffer, cutAfter: number, concurrency = 4) {
  const proxy = await startTcpProxy(Number(new URL(b.config.endpoint!).port));
  t.teardown(() => proxy.close());
  const dir = tmpCoreDir(t);
  const env = { ...b.env, S3_ENDPOINT: proxy.endpoint, COMP_UPLOAD_CONCURRENCY: String(concurrency) };
  const sink = await openSink({ config: config(dir, env), name, log });
  proxy.cutAfter(cutAfter);
  return { dir, proxy, sink };
}

t.test('S3 cut mid-stream: partial manifest + rest, then the agent completes it', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const data = randomBytes(37 * MiB + 5);
  // Two parts at a time share the proxy's byte budget: parts 1-2 finish near 10 MiB, 3-4 near
  // 20 MiB, and the cut at 25 MiB lands inside parts 5-6.
  const { dir, sink } = await cutMidStream(t, b, 'core6', data, 25 * MiB, 2);
  const r = await feed(sink, data);
  t.match(r, { kind: 'partial', bucket: b.name, key: 'core6.zip', bytes: data.length, reason: /CDC_S3_MIDSTREAM/ });
  t.same(ls(dir), ['core6.zip.rest', 'core6.zip.upload.json']);
  const m = await readManifest(path.join(dir, 'core6.zip.upload.json'));
  const confirmed = m.parts.length * m.partSize;
  t.equal(m.restBytes + confirmed, data.length);
  t.ok(m.parts.length >= 2, `${m.parts.length} parts stayed in S3; the core was never whole on disk`);
  t.ok(fs.readFileSync(path.join(dir, 'core6.zip.rest')).equals(data.subarray(confirmed)), 'rest starts at the first unconfirmed byte');
  t.equal(await b.uploadsInProgress(), 1, 'the multipart upload is kept');

  // Simulate an agent crash after completion but before clean-up: keep copies to put back.
  const saved = ls(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))] as const);
  const done = await completePartialUpload(b.client, path.join(dir, 'core6.zip.upload.json'), log);
  t.same(done, { bucket: b.name, key: 'core6.zip', bytes: data.length });
  t.ok((await b.get('core6.zip')).equals(data), 'the object equals the full input');
  t.same(ls(dir), []);
  for (const [f, content] of saved) fs.writeFileSync(path.join(dir, f), content);
  t.same(await completePartialUpload(b.client, path.join(dir, 'core6.zip.upload.json'), log), done, 'a re-run finds it complete');
  t.same(ls(dir), []);
});

t.test('S3 cut before the first part is confirmed: manifest with no parts, completed through the restored proxy', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const data = randomBytes(12 * MiB);
  const { dir, sink, proxy } = await cutMidStream(t, b, 'core7', data, 1 * MiB);
  const r = await feed(sink, data);
  t.equal(r.kind, 'partial');
  const m = await readManifest(path.join(dir, 'core7.zip.upload.json'));
  t.equal(m.parts.length, 0);
  t.equal(m.restBytes, data.length);
  proxy.restore();
  const { createS3Client } = await import('../../../src/shared/s3-client.ts');
  const viaProxy = createS3Client({ ...b.config, endpoint: proxy.endpoint });
  t.teardown(() => viaProxy.destroy());
  await completePartialUpload(viaProxy, path.join(dir, 'core7.zip.upload.json'), log);
  t.ok((await b.get('core7.zip')).equals(data));
  t.same(ls(dir), []);
});

t.test('abort mid-upload removes everything: no object, no upload, no files', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const dir = tmpCoreDir(t);
  const sink = await openSink({ config: config(dir, b.env), name: 'core8', log });
  sink.stream.on('error', () => {});
  const data = randomBytes(22 * MiB);
  await new Promise<void>((resolve) => sink.stream.write(data.subarray(0, 16 * MiB), () => resolve()));
  await sink.abort(new Error('COMP_TIMEOUT'));
  await t.rejects(sink.done, /COMP_TIMEOUT/);
  t.equal(await b.uploadsInProgress(), 0);
  t.same(await b.keys(), []);
  t.same(ls(dir), []);
});

t.test('abort after a mid-stream failure removes the rest file and the upload', async (t) => {
  const b = await createTestBucket('sink');
  t.teardown(() => b.destroy());
  const data = randomBytes(30 * MiB);
  const { dir, sink, proxy } = await cutMidStream(t, b, 'core9', data, 6 * MiB);
  sink.stream.on('error', () => {});
  // Memory holds up to 5 parts, so the failure shows only once the uploader waits for room.
  for (let off = 0; off < data.length && !ls(dir).includes('core9.zip.rest.part'); off += MiB) {
    await new Promise<void>((resolve) => sink.stream.write(data.subarray(off, off + MiB), () => resolve()));
  }
  t.ok(ls(dir).includes('core9.zip.rest.part'), 'spooling the rest');
  // While S3 stays cut its AbortMultipartUpload cannot arrive (a lifecycle rule must reap such
  // uploads); here S3 is back in time for it.
  proxy.restore();
  await sink.abort(new Error('COMP_TIMEOUT'));
  await t.rejects(sink.done);
  t.same(ls(dir), []);
  t.equal(await b.uploadsInProgress(), 0);
});

t.test('abort of a spool sink removes the .part', async (t) => {
  const dir = tmpCoreDir(t);
  const sink = await openSink({ config: config(dir, {}), name: 'c10', log });
  sink.stream.on('error', () => {});
  await new Promise<void>((resolve) => sink.stream.write(randomBytes(1000), () => resolve()));
  t.same(ls(dir), ['c10.zip.part']);
  await sink.abort(new Error('COMP_TIMEOUT'));
  t.same(ls(dir), []);
});

t.test('spool limits: refused when over the cap; a dump outgrowing the headroom is removed', async (t) => {
  const dir = tmpCoreDir(t);
  fs.writeFileSync(path.join(dir, 'old.zip'), randomBytes(1000));
  await t.rejects(openSink({ config: config(dir, { SPOOL_MAX_BYTES: '1000' }), name: 'c11', log }), { code: 'CDC_SPOOL_FULL' });
  await t.rejects(openSink({ config: config(dir, { SPOOL_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) }), name: 'c11', log }), { code: 'CDC_SPOOL_FULL' });
  const sink = await openSink({ config: config(dir, { SPOOL_MAX_BYTES: String(1000 + 64 * 1024) }), name: 'c12', log });
  await t.rejects(feed(sink, randomBytes(200 * 1024)), { code: 'CDC_SPOOL_FULL' });
  await t.rejects(sink.done, { code: 'CDC_SPOOL_FULL' });
  t.same(ls(dir), ['old.zip']);
});

t.test('a full disk (ENOSPC) while spooling: .part removed, clear error', async (t) => {
  const dir = tmpCoreDir(t);
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'cdc-test', dir], { stdio: 'ignore' });
  } catch {
    t.pass('skipped: cannot mount a tmpfs here (needs root)');
    return;
  }
  t.teardown(() => execFileSync('umount', [dir]));
  const sink = await openSink({ config: config(dir, {}), name: 'c13', log });
  // Someone else fills the disk after the space check: only the write itself can notice.
  fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024 - 64 * 1024));
  await t.rejects(feed(sink, randomBytes(3 * MiB)), { code: 'CDC_SPOOL_FAILED', message: /ENOSPC/ });
  t.same(ls(dir), ['filler'], 'the .part is gone');
});
