// The spool uploader against the real Ceph RGW.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, type TestBucket } from '../../helpers/s3.ts';
import { createS3Client } from '../../../src/shared/s3-client.ts';
import { writeManifest } from '../../../src/shared/spool/index.ts';
import { completePartialUpload } from '../../../src/agent/uploader/complete-partial.ts';
import { AgentMetrics } from '../../../src/agent/health/metrics.ts';
import { RetryPolicy, DEFAULT_RETRY } from '../../../src/agent/retry-policy.ts';
import { Uploader, type UploaderOptions } from '../../../src/agent/uploader/uploader.ts';
import { fixedSchedule } from '../../../src/shared/part-schedule.ts';
import { s3SpoolStore } from '../../../src/agent/uploader/store.ts';
import { memoryLogger } from '../../helpers/memory-logger.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';
import { createZipWriter } from '../../../src/composer/zip/index.ts';
import { summaryFromKey } from '../../../src/shared/dump-summary.ts';

const MiB = 1024 * 1024;

function makeUploader(b: TestBucket, coreDir: string, over: Partial<UploaderOptions> & { client?: S3Client; queueSize?: number } = {}) {
  const mem = memoryLogger();
  const metrics = new AgentMetrics({ defaultMetrics: false });
  const { client = b.client, queueSize = 2, ...rest } = over;
  const u = new Uploader({
    coreDir, keyPrefix: '', minFileAgeMs: 0,
    store: s3SpoolStore({ client, bucket: b.name, keyPrefix: '', schedule: fixedSchedule(5 * MiB), queueSize, completePartial: completePartialUpload }),
    log: mem.log, metrics, retry: new RetryPolicy({ ...DEFAULT_RETRY, baseDelayMs: 50, maxDelayMs: 200 }),
    followUp: false, ...rest,
  });
  return { u, metrics, mem };
}

async function counter(m: AgentMetrics, name: string): Promise<number> {
  const j = await m.registry.getSingleMetric(name)!.get();
  return j.values.reduce((n, v) => n + v.value, 0);
}

t.test('complete zips are uploaded whole and removed; .part files are never touched', async (t) => {
  const b = await createTestBucket('agent-up');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const data: Record<string, Buffer> = { 'small.zip': randomBytes(1000), 'multi.zip': randomBytes(12 * MiB + 17) };
  for (const [f, d] of Object.entries(data)) fs.writeFileSync(path.join(h.coreDir, f), d);
  fs.writeFileSync(path.join(h.coreDir, 'writing.zip.part'), 'half');
  fs.writeFileSync(path.join(h.coreDir, 'other.zip.rest.part'), 'half');
  const { u, metrics, mem } = makeUploader(b, h.coreDir);
  const r = await u.sweep();
  t.same(r, { uploaded: 2, failed: 0, deferred: 0 });
  t.same(await b.keys(), ['multi.zip', 'small.zip']);
  for (const [f, d] of Object.entries(data)) t.ok((await b.get(f)).equals(d), `${f} byte-identical`);
  t.same(spoolListing(h.coreDir), ['other.zip.rest.part', 'writing.zip.part']);
  t.equal(await counter(metrics, 'cdc_agent_dumps_uploaded_total'), 2);
  t.equal(await counter(metrics, 'cdc_agent_uploaded_bytes_total'), 1000 + 12 * MiB + 17);
  t.equal(await counter(metrics, 'cdc_agent_spool_files'), 2);
  t.ok(await counter(metrics, 'cdc_agent_last_upload_success_timestamp_seconds') > 0);
  t.ok(mem.events().includes('DumpUploaded'));
  t.equal(await b.uploadsInProgress(), 0);
});

t.test('a zip younger than minFileAgeMs waits; a zip beside a manifest is left to the manifest', async (t) => {
  const b = await createTestBucket('agent-young');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  fs.writeFileSync(path.join(h.coreDir, 'young.zip'), 'x');
  const { u } = makeUploader(b, h.coreDir, { minFileAgeMs: 60_000 });
  t.same(await u.sweep(), { uploaded: 0, failed: 0, deferred: 1 });
  t.same(await b.keys(), []);
});

t.test('concurrent sweep requests fold into one pass: no file is uploaded twice', async (t) => {
  const b = await createTestBucket('agent-flight');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(h.coreDir, `d${i}.zip`), randomBytes(6 * MiB));
  const { u, metrics, mem } = makeUploader(b, h.coreDir);
  await Promise.all([u.sweep('a'), u.sweep('b'), u.sweep('c'), u.sweep('d')]);
  const started = mem.lines.filter((l) => l.event === 'DumpUploadStarted').map((l) => l.key);
  t.same([...started].sort(), ['d0.zip', 'd1.zip', 'd2.zip', 'd3.zip'], 'each file started exactly once');
  t.equal(await counter(metrics, 'cdc_agent_dumps_uploaded_total'), 4);
  t.same(await b.keys(), ['d0.zip', 'd1.zip', 'd2.zip', 'd3.zip']);
});

t.test('a multipart upload a killed agent left for the key is aborted', async (t) => {
  const b = await createTestBucket('agent-left');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  await b.client.send(new CreateMultipartUploadCommand({ Bucket: b.name, Key: 'left.zip' }));
  t.equal(await b.uploadsInProgress(), 1);
  const body = randomBytes(3000);
  fs.writeFileSync(path.join(h.coreDir, 'left.zip'), body);
  const { u, mem } = makeUploader(b, h.coreDir);
  await u.sweep();
  t.ok(mem.events().includes('LeftoverUploadAborted'));
  t.equal(await b.uploadsInProgress(), 0);
  t.ok((await b.get('left.zip')).equals(body));
});

async function partialSpool(client: S3Client, bucket: string, coreDir: string, name: string): Promise<Buffer> {
  const whole = randomBytes(13 * MiB);
  const key = `${name}.zip`;
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const first = whole.subarray(0, 5 * MiB);
  const p1 = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: first, ContentLength: first.length }));
  const rest = whole.subarray(5 * MiB);
  fs.writeFileSync(path.join(coreDir, `${key}.rest`), rest);
  await writeManifest(path.join(coreDir, `${key}.upload.json`), {
    version: 1, bucket, key, uploadId: UploadId!, partSize: 5 * MiB, parts: [{ partNumber: 1, etag: p1.ETag!, size: first.length }],
    restFile: `${key}.rest`, restBytes: rest.length, createdAt: new Date().toISOString(),
  });
  return whole;
}

t.test('a partial upload the composer left is finished from its manifest', async (t) => {
  const b = await createTestBucket('agent-partial');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const whole = await partialSpool(b.client, b.name, h.coreDir, 'p');
  const { u, metrics } = makeUploader(b, h.coreDir);
  t.same(await u.sweep(), { uploaded: 1, failed: 0, deferred: 0 });
  t.ok((await b.get('p.zip')).equals(whole), 'whole object');
  t.same(spoolListing(h.coreDir), [], 'manifest and rest removed');
  t.equal(await counter(metrics, 'cdc_agent_dumps_uploaded_total'), 1);
});

t.test('S3 down for a while, then back: everything arrives once, nothing lost', async (t) => {
  const b = await createTestBucket('agent-outage');
  const h = scratchHost();
  const { startTcpProxy } = await import('../../helpers/tcp-proxy.ts');
  const port = Number(new URL(b.config.endpoint!).port);
  const proxy = await startTcpProxy(port);
  const client = createS3Client({ ...b.config, endpoint: proxy.endpoint }, { maxAttempts: 1, connectTimeoutMs: 500, requestTimeoutMs: 10_000 });
  t.teardown(async () => { client.destroy(); await proxy.close(); h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const want = new Map<string, Buffer>();
  for (let i = 0; i < 3; i++) want.set(`z${i}.zip`, randomBytes((i + 1) * 3 * MiB));
  for (const [f, d] of want) fs.writeFileSync(path.join(h.coreDir, f), d);
  const partialWhole = await partialSpool(b.client, b.name, h.coreDir, 'p');
  proxy.cutAfter(0);
  const { u, metrics, mem } = makeUploader(b, h.coreDir, { client, followUp: true });
  t.teardown(() => u.close());
  const first = await u.sweep('startup');
  t.equal(first.failed, 4, 'every dump failed while S3 is down');
  t.equal(await counter(metrics, 'cdc_agent_dumps_failing'), 4, 'failing dumps show in metrics');
  t.equal(spoolListing(h.coreDir).length, 5, 'and stay on disk');
  // Follow-up retries keep failing for a while (timers, not the test, drive them).
  await waitFor('retries', async () => (await counter(metrics, 'cdc_agent_upload_retries_total')) >= 8);
  t.same(await b.keys(), []);
  proxy.restore();
  await waitFor('all uploaded', () => spoolListing(h.coreDir).length === 0);
  await u.close();
  t.same(await b.keys(), ['p.zip', 'z0.zip', 'z1.zip', 'z2.zip']);
  for (const [f, d] of want) t.ok((await b.get(f)).equals(d), `${f} whole`);
  t.ok((await b.get('p.zip')).equals(partialWhole), 'partial finished whole');
  t.equal(await counter(metrics, 'cdc_agent_dumps_uploaded_total'), 4, 'each dump counted once');
  t.equal(mem.lines.filter((l) => l.event === 'DumpUploaded').length, 4, 'each dump completed once');
  t.equal(await counter(metrics, 'cdc_agent_dumps_failing'), 0);
  t.equal(await b.uploadsInProgress(), 0, 'no multipart upload left open');
});

t.test('a young file is picked up by the follow-up timer once it is old enough', async (t) => {
  const b = await createTestBucket('agent-age');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  fs.writeFileSync(path.join(h.coreDir, 'fresh.zip'), 'zip bytes');
  const { u } = makeUploader(b, h.coreDir, { minFileAgeMs: 400, followUp: true });
  t.teardown(() => u.close());
  t.same(await u.sweep(), { uploaded: 0, failed: 0, deferred: 1 });
  await waitFor('timer upload', () => !fs.existsSync(path.join(h.coreDir, 'fresh.zip')), 10_000);
  t.same(await b.keys(), ['fresh.zip']);
});

t.test('an over-limit spool is reported once per change, in logs and metrics', async (t) => {
  const b = await createTestBucket('agent-full');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  let ok = false;
  const { u, metrics, mem } = makeUploader(b, h.coreDir, { spoolCheck: async () => (ok ? { ok } : { ok, reason: 'spool over SPOOL_MAX_BYTES' }) });
  await u.sweep();
  await u.sweep();
  t.equal(mem.lines.filter((l) => l.event === 'SpoolOverLimit').length, 1, 'logged once, not every pass');
  t.equal(await counter(metrics, 'cdc_agent_spool_over_limit'), 1);
  ok = true;
  await u.sweep();
  t.equal(await counter(metrics, 'cdc_agent_spool_over_limit'), 0);
  t.ok(mem.events().includes('SpoolBackUnderLimit'));
});

t.test('a zip appended to during its upload is kept for the next pass', async (t) => {
  const b = await createTestBucket('agent-grow');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const file = path.join(h.coreDir, 'grow.zip');
  fs.writeFileSync(file, randomBytes(20 * MiB));
  const { u, mem } = makeUploader(b, h.coreDir, { queueSize: 1 });
  const pass = u.sweep();
  // A writer that does not follow the rename contract appends while we read.
  await waitFor('upload started', () => mem.events().includes('DumpUploadStarted'), 10_000);
  fs.appendFileSync(file, 'late bytes');
  const r = await pass;
  t.equal(r.failed, 1);
  t.ok(fs.existsSync(file), 'kept');
  t.match(String(mem.lines.find((l) => l.event === 'DumpUploadFailed')?.err), /changed during the upload|holds/);
  const again = makeUploader(b, h.coreDir);
  t.equal((await again.u.sweep()).uploaded, 1);
  t.ok((await b.get('grow.zip')).subarray(-10).equals(Buffer.from('late bytes')), 'the final bytes are in S3');
});

t.test('a spooled dump gets its cdh summary once uploaded (read back from the stored zip); a non-zip gets none, with a code', async (t) => {
  const b = await createTestBucket('agent-summary');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const name = '0a1b2c3d-0000-4000-8000-000000000001-dump-1700000000-h-app-7-11';
  const zip = createZipWriter();
  const bytes: Buffer[] = [];
  zip.output.on('data', (c: Buffer) => bytes.push(c));
  await zip.addBuffer(`${name}.core`, randomBytes(1000));
  await zip.addBuffer(`${name}-dump-info.json`, Buffer.from(JSON.stringify({
    uuid: '0a1b2c3d-0000-4000-8000-000000000001', name, timestamp: '1700000000', exe: 'app', signal: '11', node_hostname: 'n1',
    namespace: 'shop', pod: 'cart-1', container: 'cart', image: 'reg/cart:2', core_bytes: 1000,
  })));
  await zip.finish();
  fs.writeFileSync(path.join(h.coreDir, `${name}.zip`), Buffer.concat(bytes));
  fs.writeFileSync(path.join(h.coreDir, 'junk.zip'), 'not a zip');
  const { u, mem } = makeUploader(b, h.coreDir);
  t.same(await u.sweep(), { uploaded: 2, failed: 0, deferred: 0 }, 'a summary failure never fails the upload');
  const summaries = (await b.allKeys()).filter((k) => k.startsWith('cdh-index/'));
  t.equal(summaries.length, 1);
  t.match(summaryFromKey('', summaries[0]!), {
    uuid: '0a1b2c3d-0000-4000-8000-000000000001', name, time: 1700000000_000, node: 'n1', namespace: 'shop', pod: 'cart-1',
    container: 'cart', image: 'reg/cart:2', exe: 'app', signal: 11, coreBytes: 1000, zipBytes: Buffer.concat(bytes).length,
  });
  t.match(mem.lines.find((l) => l.event === 'SummaryFailed'), { code: 'CDC_ZIP_INVALID' });
});
