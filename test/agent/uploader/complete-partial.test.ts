// completePartialUpload against the real RGW: resume after a crash midway, a gone upload, bad files.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AbortMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import pino from 'pino';
import { createTestBucket, type TestBucket } from '../../helpers/s3.ts';
import { createUpload } from '../../../src/shared/s3-commands.ts';
import { writeManifest, type PartialUploadManifest, type UploadedPart } from '../../../src/shared/spool/index.ts';
import { completePartialUpload } from '../../../src/agent/uploader/complete-partial.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const log = pino({ level: 'silent' });

/** What the composer leaves after S3 failed: `nParts` parts in S3, the rest on disk, a manifest. */
async function partial(t: { teardown(fn: () => unknown): void }, b: TestBucket, data: Buffer, nParts: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-manifest-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = 'dump.zip';
  const uploadId = await createUpload({ client: b.client, bucket: b.name, key });
  const parts: UploadedPart[] = [];
  for (let i = 0; i < nParts; i++) {
    const body = data.subarray(i * PART, (i + 1) * PART);
    const out = await b.client.send(new UploadPartCommand({ Bucket: b.name, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }));
    parts.push({ partNumber: i + 1, etag: out.ETag!, size: body.length });
  }
  const rest = data.subarray(nParts * PART);
  fs.writeFileSync(path.join(dir, 'dump.zip.rest'), rest);
  const manifest: PartialUploadManifest = {
    version: 1, bucket: b.name, key, uploadId, partSize: PART, parts,
    restFile: 'dump.zip.rest', restBytes: rest.length, createdAt: new Date().toISOString(),
  };
  const manifestPath = path.join(dir, 'dump.zip.upload.json');
  await writeManifest(manifestPath, manifest);
  return { dir, manifestPath, manifest };
}

t.test('resumes after a crash that left some rest parts in S3, sending only what is missing', async (t) => {
  const b = await createTestBucket('man');
  t.teardown(() => b.destroy());
  const data = randomBytes(23 * MiB + 3);
  const { dir, manifestPath, manifest } = await partial(t, b, data, 2);
  // A previous agent run uploaded rest part 3 (correct) and part 4 (garbage) before dying.
  await b.client.send(new UploadPartCommand({ Bucket: b.name, Key: 'dump.zip', UploadId: manifest.uploadId, PartNumber: 3, Body: data.subarray(2 * PART, 3 * PART) }));
  await b.client.send(new UploadPartCommand({ Bucket: b.name, Key: 'dump.zip', UploadId: manifest.uploadId, PartNumber: 4, Body: randomBytes(PART) }));
  const sent: number[] = [];
  b.client.middlewareStack.add((next, ctx) => async (args) => {
    if (ctx.commandName === 'UploadPartCommand') sent.push((args.input as { PartNumber: number }).PartNumber);
    return next(args);
  }, { step: 'initialize', name: 'countParts' });
  const r = await completePartialUpload(b.client, manifestPath, log);
  t.same(r, { bucket: b.name, key: 'dump.zip', bytes: data.length });
  t.same(sent, [4, 5], 'part 3 was already right; 4 was wrong and is replaced');
  t.ok((await b.get('dump.zip')).equals(data));
  t.same(fs.readdirSync(dir), []);
});

t.test('a manifest with an empty rest (only the completion failed) completes', async (t) => {
  const b = await createTestBucket('man');
  t.teardown(() => b.destroy());
  const data = randomBytes(2 * PART);
  const { manifestPath } = await partial(t, b, data, 2);
  await completePartialUpload(b.client, manifestPath, log);
  t.ok((await b.get('dump.zip')).equals(data));
});

t.test('a gone upload: CDC_UPLOAD_GONE and the files stay', async (t) => {
  const b = await createTestBucket('man');
  t.teardown(() => b.destroy());
  const { dir, manifestPath, manifest } = await partial(t, b, randomBytes(7 * MiB), 1);
  await b.client.send(new AbortMultipartUploadCommand({ Bucket: b.name, Key: manifest.key, UploadId: manifest.uploadId }));
  await t.rejects(completePartialUpload(b.client, manifestPath, log), { code: 'CDC_UPLOAD_GONE' });
  t.same(fs.readdirSync(dir).sort(), ['dump.zip.rest', 'dump.zip.upload.json']);
});

t.test('inconsistent files: CDC_MANIFEST_INVALID, nothing deleted', async (t) => {
  const b = await createTestBucket('man');
  t.teardown(() => b.destroy());
  const { dir, manifestPath } = await partial(t, b, randomBytes(7 * MiB), 1);
  fs.appendFileSync(path.join(dir, 'dump.zip.rest'), 'x'); // rest no longer matches restBytes
  await t.rejects(completePartialUpload(b.client, manifestPath, log), { code: 'CDC_MANIFEST_INVALID', message: /rest file has/ });
  fs.writeFileSync(manifestPath, '{"version":1,"restFile":"../etc/passwd"}');
  await t.rejects(completePartialUpload(b.client, manifestPath, log), { code: 'CDC_MANIFEST_INVALID' });
  fs.writeFileSync(manifestPath, 'not json');
  await t.rejects(completePartialUpload(b.client, manifestPath, log), { code: 'CDC_MANIFEST_INVALID' });
  t.equal(fs.readdirSync(dir).length, 2);
});

t.test('a manifest of growing parts: the rest continues the schedule where the composer stopped', async (t) => {
  const b = await createTestBucket('man');
  t.teardown(() => b.destroy());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-manifest-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = 'dump.zip';
  const uploadId = await createUpload({ client: b.client, bucket: b.name, key });
  // maxParts 10: one part per size step, 5 then 10 MiB. The composer had parts 1 (5) and 2 (10).
  const schedule = { maxBytes: 10 * MiB, maxParts: 10 };
  const data = randomBytes(38 * MiB);
  const parts: UploadedPart[] = [];
  for (const [n, from, to] of [[1, 0, 5 * MiB], [2, 5 * MiB, 15 * MiB]] as const) {
    const out = await b.client.send(new UploadPartCommand({ Bucket: b.name, Key: key, UploadId: uploadId, PartNumber: n, Body: data.subarray(from, to) }));
    parts.push({ partNumber: n, etag: out.ETag!, size: to - from });
  }
  fs.writeFileSync(path.join(dir, 'dump.zip.rest'), data.subarray(15 * MiB));
  const manifestPath = path.join(dir, 'dump.zip.upload.json');
  await writeManifest(manifestPath, { version: 1, bucket: b.name, key, uploadId, partSize: PART, schedule, parts, restFile: 'dump.zip.rest', restBytes: 23 * MiB, createdAt: '' });
  const sizes: number[] = [];
  b.client.middlewareStack.add((next, ctx) => async (args) => {
    if (ctx.commandName === 'UploadPartCommand') sizes.push(Number((args.input as { ContentLength: number }).ContentLength) / MiB);
    return next(args);
  }, { step: 'initialize', name: 'partSizes' });
  await completePartialUpload(b.client, manifestPath, log);
  t.same(sizes, [10, 10, 3], 'parts 3.. at the grown size');
  t.ok((await b.get('dump.zip')).equals(data));
});
