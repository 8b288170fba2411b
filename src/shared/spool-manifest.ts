// The partial-upload manifest: written by the composer when S3 failed mid-stream, finished by the
// agent. The multipart upload keeps the parts S3 confirmed; `{name}.zip.rest` holds every byte after
// them. completePartialUpload() uploads the rest as further parts and completes the object.
//
// Crash safety: the files are deleted only after S3 confirmed the object (rest first, manifest
// last), and a re-run asks S3 what it already has (ListParts, HeadObject), so it may be repeated.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, ListPartsCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from './log.ts';
import { CdcError, describeError } from './errors.ts';
import { completeUpload, MAX_PARTS, MIN_PART_BYTES, type UploadedPart } from './s3-multipart.ts';

export interface PartialUploadManifest {
  version: 1;
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
  parts: UploadedPart[];
  /** A bare file name in the manifest's directory. */
  restFile: string;
  restBytes: number;
  createdAt: string;
}

/** Writes the manifest atomically: tmp file, fsync, rename, directory fsync. */
export async function writeManifest(manifestPath: string, m: PartialUploadManifest): Promise<void> {
  const tmp = `${manifestPath}.tmp`;
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(m, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, manifestPath);
  const dir = await fs.open(path.dirname(manifestPath), 'r').catch(() => null);
  await dir?.sync().catch(() => {});
  await dir?.close();
}

function invalid(manifestPath: string, why: string, cause?: unknown): CdcError {
  return new CdcError('CDC_MANIFEST_INVALID', `${manifestPath}: ${why}`, undefined, cause ? { cause } : undefined);
}

/** Reads and checks a manifest; throws CDC_MANIFEST_INVALID with the reason. */
export async function readManifest(manifestPath: string): Promise<PartialUploadManifest> {
  let m: PartialUploadManifest;
  try {
    m = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as PartialUploadManifest;
  } catch (e) {
    throw invalid(manifestPath, `unreadable: ${describeError(e)}`, e);
  }
  const isStr = (v: unknown) => typeof v === 'string' && v.length > 0;
  const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (m?.version !== 1) throw invalid(manifestPath, `unknown version ${String(m?.version)}`);
  if (!isStr(m.bucket) || !isStr(m.key) || !isStr(m.uploadId)) throw invalid(manifestPath, 'bucket, key or uploadId missing');
  if (!isStr(m.restFile) || m.restFile !== path.basename(m.restFile)) throw invalid(manifestPath, 'restFile must be a bare file name');
  if (!isInt(m.partSize) || m.partSize < MIN_PART_BYTES) throw invalid(manifestPath, `partSize ${m.partSize} under ${MIN_PART_BYTES}`);
  if (!isInt(m.restBytes) || !Array.isArray(m.parts)) throw invalid(manifestPath, 'restBytes or parts missing');
  m.parts.forEach((p, i) => {
    if (p?.partNumber !== i + 1 || !isStr(p.etag) || !isInt(p.size)) throw invalid(manifestPath, `part ${i + 1} malformed`);
    // Only the object's last part may be short; with rest bytes to follow, every part must be full.
    if (p.size !== m.partSize && (m.restBytes > 0 || i < m.parts.length - 1)) throw invalid(manifestPath, `part ${i + 1} is not full size`);
  });
  if (m.parts.length + Math.ceil(m.restBytes / m.partSize) > MAX_PARTS) throw invalid(manifestPath, 'too many parts');
  return m;
}

const md5Etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;
const sameEtag = (a: string | undefined, b: string) => (a ?? '').replace(/"/g, '') === b.replace(/"/g, '');

/** NoSuchUpload; RGW 16 says NoSuchKey, or a bare 404 once the upload was completed. */
export function isGone(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchUpload' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
}

/** Parts S3 holds for the upload, or null when the upload is gone. */
async function listParts(client: S3Client, m: PartialUploadManifest): Promise<Map<number, { etag: string; size: number }> | null> {
  const have = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  try {
    for (;;) {
      const out = await client.send(new ListPartsCommand({ Bucket: m.bucket, Key: m.key, UploadId: m.uploadId, PartNumberMarker: marker }));
      for (const p of out.Parts ?? []) have.set(p.PartNumber!, { etag: p.ETag ?? '', size: p.Size ?? 0 });
      if (!out.IsTruncated) return have;
      marker = out.NextPartNumberMarker;
    }
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

/** Deletes the rest file, then the manifest (so a crash between still leaves the manifest to re-run). */
async function removeFiles(manifestPath: string, restPath: string): Promise<void> {
  await fs.rm(restPath, { force: true });
  await fs.rm(manifestPath, { force: true });
}

/**
 * Finishes a partial upload described by `manifestPath`. On success the object is in S3 and the
 * rest file and manifest are deleted. Throws CDC_UPLOAD_GONE (files kept) when S3 no longer has the
 * upload and the object is not there either, CDC_MANIFEST_INVALID on inconsistent files, and the
 * S3 error itself for a transient failure (retry later).
 */
export async function completePartialUpload(
  client: S3Client, manifestPath: string, log: Logger,
): Promise<{ bucket: string; key: string; bytes: number }> {
  const m = await readManifest(manifestPath);
  const restPath = path.join(path.dirname(manifestPath), m.restFile);
  const confirmed = m.parts.reduce((n, p) => n + p.size, 0);
  const total = confirmed + m.restBytes;
  const target = { client, bucket: m.bucket, key: m.key };
  const done = { bucket: m.bucket, key: m.key, bytes: total };
  log.info({ event: 'PartialUploadResumed', bucket: m.bucket, key: m.key, parts: m.parts.length, restBytes: m.restBytes }, 'PartialUploadResumed');

  const have = await listParts(client, m);
  if (have === null) {
    // Gone: either a previous run completed it and crashed before deleting the files, or it was
    // aborted / expired. Only an object of exactly the expected size counts as the former.
    const head = await client.send(new HeadObjectCommand({ Bucket: m.bucket, Key: m.key })).catch(() => null);
    if (head?.ContentLength === total) {
      await removeFiles(manifestPath, restPath);
      log.info({ event: 'PartialUploadFoundComplete', bucket: m.bucket, key: m.key, bytes: total }, 'PartialUploadFoundComplete');
      return done;
    }
    throw new CdcError('CDC_UPLOAD_GONE', `upload for s3://${m.bucket}/${m.key} is gone (NoSuchUpload); kept ${manifestPath}`);
  }
  for (const p of m.parts) {
    const h = have.get(p.partNumber);
    if (!h || !sameEtag(h.etag, p.etag)) throw invalid(manifestPath, `S3 lacks part ${p.partNumber} as recorded`);
  }

  let fh: fs.FileHandle;
  try {
    fh = await fs.open(restPath, 'r');
  } catch (e) {
    throw invalid(manifestPath, `rest file ${m.restFile} unreadable: ${describeError(e)}`, e);
  }
  const parts = [...m.parts];
  try {
    const size = (await fh.stat()).size;
    if (size !== m.restBytes) throw invalid(manifestPath, `rest file has ${size} bytes, manifest says ${m.restBytes}`);
    // One part buffer at a time: the agent must stay small. Parts a crashed earlier run already
    // uploaded (same number, same MD5) are not sent again.
    const buf = Buffer.allocUnsafe(Math.min(m.partSize, Math.max(m.restBytes, 1)));
    let partNumber = m.parts.length + 1;
    for (let off = 0; off < m.restBytes; off += m.partSize, partNumber++) {
      const len = Math.min(m.partSize, m.restBytes - off);
      const { bytesRead } = await fh.read(buf, 0, len, off);
      if (bytesRead !== len) throw invalid(manifestPath, `short read of ${m.restFile} at ${off}`);
      const body = buf.subarray(0, len);
      const h = have.get(partNumber);
      let etag = h?.etag ?? '';
      if (!(h && h.size === len && sameEtag(h.etag, md5Etag(body)))) {
        const out = await client.send(new UploadPartCommand({
          Bucket: m.bucket, Key: m.key, UploadId: m.uploadId, PartNumber: partNumber, Body: body, ContentLength: len,
        }));
        if (!out.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
        etag = out.ETag;
      }
      parts.push({ partNumber, etag, size: len });
    }
  } finally {
    await fh.close();
  }
  if (parts.length === 0) {
    // A zero-byte object (never a real zip): S3 still wants one part.
    const out = await client.send(new UploadPartCommand({ Bucket: m.bucket, Key: m.key, UploadId: m.uploadId, PartNumber: 1, Body: Buffer.alloc(0), ContentLength: 0 }));
    parts.push({ partNumber: 1, etag: out.ETag ?? md5Etag(Buffer.alloc(0)), size: 0 });
  }
  await completeUpload(target, m.uploadId, parts);
  await removeFiles(manifestPath, restPath);
  log.info({ event: 'PartialUploadCompleted', bucket: m.bucket, key: m.key, bytes: total, parts: parts.length }, 'PartialUploadCompleted');
  return done;
}
