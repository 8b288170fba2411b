// /readyz's check: the kernel pipes cores to our composer, and the bucket answers HeadBucket (the
// real test RGW), that answer cached for cacheMs (driven by the `now` option, never by sleeping).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { readinessCheck } from '../../../src/agent/health/readiness.ts';
import { buildCorePattern } from '../../../src/agent/install/core-pattern.ts';
import { createS3Client } from '../../../src/shared/s3-client.ts';
import { createTestBucket } from '../../helpers/s3.ts';
import { scratchHost, type ScratchHost } from '../../helpers/scratch-host.ts';

function setPattern(h: ScratchHost, pattern: string): void {
  fs.writeFileSync(path.join(h.procSys, 'kernel/core_pattern'), pattern + '\n');
}

t.test('our core_pattern and a bucket that answers: ready', async (t) => {
  const b = await createTestBucket('ready');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  const check = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client: b.client, bucket: b.name, cacheMs: 10_000 });
  t.same(await check(), { ready: true, reasons: [] });
});

t.test('a core_pattern that is not ours is named', async (t) => {
  const b = await createTestBucket('ready-pat');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  const check = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client: b.client, bucket: b.name, cacheMs: 10_000 });
  t.same(await check(), { ready: false, reasons: ['core_pattern is not ours: core'] }, 'the scratch default');
  setPattern(h, '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h');
  t.match(await check(), { ready: false, reasons: [/^core_pattern is not ours: \|\/usr\/lib\/systemd\/systemd-coredump/] });
  setPattern(h, buildCorePattern(path.join(h.root, 'other-host-dir')).pattern);
  t.match(await check(), { ready: false, reasons: [/^core_pattern is not ours: \|.*other-host-dir\/cdc /] }, 'another HOST_DIR');
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  t.same(await check(), { ready: true, reasons: [] }, 'read afresh on every probe');
  fs.rmSync(path.join(h.procSys, 'kernel/core_pattern'));
  t.match(await check(), { ready: false, reasons: [/^core_pattern is not ours: unreadable: .*ENOENT/] });
});

t.test('no bucket configured: Ready (dumps stay spooled for later), as long as core_pattern is ours', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  const noClient = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client: undefined, bucket: undefined, cacheMs: 10_000 });
  t.same(await noClient(), { ready: true, reasons: [] });
  const b = await createTestBucket('ready-unset');
  t.teardown(() => b.destroy());
  const noBucket = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client: b.client, bucket: undefined, cacheMs: 10_000 });
  t.same(await noBucket(), { ready: true, reasons: [] });
  setPattern(h, 'core');
  t.same(await noBucket(), { ready: false, reasons: ['core_pattern is not ours: core'] }, 'capture is what Ready means');
});

t.test('a bucket that does not exist: HeadBucket fails and the reason names the bucket', async (t) => {
  const b = await createTestBucket('ready-gone');
  const h = scratchHost();
  const missing = `${b.name}-missing`;
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  const check = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client: b.client, bucket: missing, cacheMs: 10_000 });
  const r = await check();
  t.equal(r.ready, false);
  t.equal(r.reasons.length, 1);
  t.match(r.reasons[0], `bucket ${missing} did not answer HeadBucket: `);
});

t.test('the HeadBucket answer is kept for cacheMs, then asked again; core_pattern is never cached', async (t) => {
  const b = await createTestBucket('ready-cache');
  const h = scratchHost();
  // The check's own client: the bucket is deleted and made again under it.
  const client = createS3Client(b.config);
  t.teardown(async () => { client.destroy(); h.cleanup(); await b.destroy(); });
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  let now = 1_000_000;
  const cacheMs = 30_000;
  const check = readinessCheck({ procSys: h.procSys, hostDir: h.hostDir, client, bucket: b.name, cacheMs, now: () => now });
  t.same(await check(), { ready: true, reasons: [] });

  await b.client.send(new DeleteBucketCommand({ Bucket: b.name }));
  now += cacheMs - 1;
  t.same(await check(), { ready: true, reasons: [] }, 'within cacheMs: the cached answer, S3 not asked');
  setPattern(h, 'core');
  t.same(await check(), { ready: false, reasons: ['core_pattern is not ours: core'] }, 'core_pattern is read on every probe');
  setPattern(h, buildCorePattern(h.hostDir).pattern);
  now += 1;
  const gone = await check();
  t.equal(gone.ready, false, 'cacheMs passed: asked again, the bucket is gone');
  t.match(gone.reasons, [/did not answer HeadBucket/]);

  await b.client.send(new CreateBucketCommand({ Bucket: b.name }));
  now += cacheMs - 1;
  t.match(await check(), { ready: false, reasons: [/did not answer HeadBucket/] }, 'a failure is cached too');
  now += 1;
  t.same(await check(), { ready: true, reasons: [] }, 'and asked again once it is old');
});
