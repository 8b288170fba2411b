import t from 'tap';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket } from '../helpers/s3.ts';

t.test('the test S3 is a real RGW that checks signatures', async (t) => {
  const b = await createTestBucket('smoke');
  t.teardown(() => b.destroy());
  await b.client.send(new PutObjectCommand({ Bucket: b.name, Key: 'a.txt', Body: 'hello' }));
  t.same(await b.keys(), ['a.txt']);
  t.equal((await b.get('a.txt')).toString(), 'hello');
  const { createS3Client } = await import('../../src/shared/s3-client.ts');
  const bad = createS3Client({ ...b.config, secretAccessKey: 'wrong-secret' }, { maxAttempts: 1 });
  await t.rejects(bad.send(new PutObjectCommand({ Bucket: b.name, Key: 'b.txt', Body: 'x' })), { name: 'SignatureDoesNotMatch' });
  bad.destroy();
});

// Cloud Storage's S3 interoperability (the README's GCS section) has no flexible checksums
// (x-amz-checksum-*, x-amz-sdk-checksum-algorithm) and no aws-chunked trailers: the SDK's newer
// defaults send those on every upload. Recorded here on the wire of every command a dump uses.
t.test('no request of a dump carries a flexible checksum or an aws-chunked body (GCS interoperability)', async (t) => {
  const b = await createTestBucket('gcs-compat');
  t.teardown(() => b.destroy());
  const { createS3Client } = await import('../../src/shared/s3-client.ts');
  const { createUpload, completeUpload, s3PartSender } = await import('../../src/shared/s3-commands.ts');
  const client = createS3Client(b.config, { maxAttempts: 1 });
  t.teardown(() => client.destroy());
  const seen: { path: string; headers: Record<string, string> }[] = [];
  const handler = client.config.requestHandler as { handle(req: { path: string; headers: Record<string, string> }, o?: unknown): Promise<unknown> };
  const handle = handler.handle.bind(handler);
  handler.handle = (req, o) => { seen.push({ path: req.path, headers: { ...req.headers } }); return handle(req, o); };
  const target = { client, bucket: b.name, key: 'dump.zip' };
  const uploadId = await createUpload(target);
  const etag = await s3PartSender(target, uploadId)(1, Buffer.alloc(5 * 1024 * 1024, 1), AbortSignal.timeout(30_000));
  await completeUpload(target, uploadId, [{ partNumber: 1, etag, size: 5 * 1024 * 1024 }]);
  await client.send(new PutObjectCommand({ Bucket: b.name, Key: 'summary', Body: '{}' }));
  t.ok(seen.length >= 4, `${seen.length} requests recorded`);
  for (const r of seen) {
    const names = Object.keys(r.headers).map((h) => h.toLowerCase());
    t.notOk(names.some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer'), `${r.path}: no flexible checksum headers (${names.filter((h) => h.startsWith('x-amz')).join(', ')})`);
    const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
    t.notMatch(lower['content-encoding'] ?? '', /aws-chunked/, `${r.path}: plain body`);
    t.notMatch(lower['x-amz-content-sha256'] ?? '', /^STREAMING-/, `${r.path}: no streaming signature`);
  }
});
