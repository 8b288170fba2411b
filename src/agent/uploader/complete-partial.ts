// Finishes a partial upload the composer left when S3 failed mid-stream: the multipart upload keeps
// the parts S3 confirmed, `{name}.zip.rest` holds every byte after them (see shared/spool/names.ts).
// The rest goes up as further parts through the shared part uploader, then the object is completed.
//
// Crash safety: the files are deleted only after S3 confirmed the object (rest first, manifest
// last), and a re-run asks S3 what it already has (ListParts, HeadObject), so it may be repeated;
// parts an earlier run already uploaded are not sent again.
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/log.ts';
import { CdcError, describeError } from '../../shared/errors.ts';
import { completeUpload, isGone, s3PartSender } from '../../shared/s3-commands.ts';
import { PartUploader, sameEtag, type PartSender } from '../../shared/part-uploader.ts';
import { GC_EVERY_BYTES, gcPacer } from '../../shared/gc-pacer.ts';
import { dumpFiles, manifestInvalid, manifestSchedule, MANIFEST_SUFFIX, objectKey, openRegular, readManifest, type PartialUploadManifest } from '../../shared/spool/index.ts';

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
export async function removeFiles(manifestPath: string, restPath: string): Promise<void> {
  await fs.rm(restPath, { force: true });
  await fs.rm(manifestPath, { force: true });
}

/**
 * Uploads the rest file as parts after the confirmed ones, through the store's `send`; returns
 * every part of the object (Azure's completion shares it: azure-store.ts).
 */
export async function uploadRest(
  send: PartSender, m: PartialUploadManifest, manifestPath: string, restPath: string,
  have: Map<number, { etag: string; size: number }> | undefined, concurrency: number, log: Logger,
): Promise<PartialUploadManifest['parts']> {
  let rest;
  try {
    rest = await openRegular(restPath);
  } catch (e) {
    throw manifestInvalid(manifestPath, `rest file ${m.restFile} unreadable: ${describeError(e)}`, e);
  }
  try {
    if (rest.size !== m.restBytes) throw manifestInvalid(manifestPath, `rest file has ${rest.size} bytes, manifest says ${m.restBytes}`);
    const uploader = new PartUploader({
      send, schedule: manifestSchedule(m), concurrency, log,
      firstPartNumber: m.parts.length + 1, ...(have ? { alreadyUploaded: have } : {}),
    });
    let read = 0;
    const pace = gcPacer(GC_EVERY_BYTES);
    const chunks = m.restBytes > 0 ? rest.fh.createReadStream({ start: 0, end: m.restBytes - 1, highWaterMark: 1 << 20, autoClose: false }) : [];
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      read += chunk.length;
      pace(chunk.length);
      if (!(await uploader.write(chunk))) throw uploader.failure!;
    }
    if (read !== m.restBytes) throw manifestInvalid(manifestPath, `short read of ${m.restFile}: ${read} of ${m.restBytes} bytes`);
    if (!(await uploader.flush())) throw uploader.failure!;
    return [...m.parts, ...uploader.parts()];
  } finally {
    await rest.fh.close();
  }
}

/**
 * Finishes the partial upload described by `manifestPath`. On success the object is in S3 and the
 * rest file and manifest are deleted. Throws CDC_UPLOAD_GONE (files kept) when S3 no longer has the
 * upload and the object is not there either, CDC_MANIFEST_INVALID on inconsistent files, and the
 * S3 error itself for a transient failure (retry later).
 */
export interface PartialTarget {
  /** The configured bucket and key prefix: a manifest naming anything else is refused. */
  readonly bucket?: string;
  readonly keyPrefix?: string;
  readonly concurrency?: number;
}

/**
 * A manifest comes from a directory others can write to: it may only finish the dump it is named
 * for, in the configured bucket, under the configured prefix, from its own rest file.
 */
export function checkTarget(m: PartialUploadManifest, manifestPath: string, t: PartialTarget): void {
  const name = path.basename(manifestPath).slice(0, -MANIFEST_SUFFIX.length);
  if (t.bucket !== undefined && m.bucket !== t.bucket) throw manifestInvalid(manifestPath, `names bucket ${JSON.stringify(m.bucket)}, not the configured ${JSON.stringify(t.bucket)}`);
  if (t.keyPrefix !== undefined && m.key !== objectKey(t.keyPrefix, name)) throw manifestInvalid(manifestPath, `names key ${JSON.stringify(m.key)}, not this dump's ${JSON.stringify(objectKey(t.keyPrefix, name))}`);
  if (m.restFile !== dumpFiles(name).rest) throw manifestInvalid(manifestPath, `names rest file ${JSON.stringify(m.restFile)}, not ${dumpFiles(name).rest}`);
}

export async function completePartialUpload(
  client: S3Client, manifestPath: string, log: Logger, target: PartialTarget = {},
): Promise<{ bucket: string; key: string; bytes: number }> {
  const m = await readManifest(manifestPath);
  if (m.store) throw manifestInvalid(manifestPath, `is for ${m.store}, but the agent stores to S3`);
  checkTarget(m, manifestPath, target);
  const concurrency = target.concurrency ?? 1;
  const restPath = path.join(path.dirname(manifestPath), m.restFile);
  const total = m.parts.reduce((n, p) => n + p.size, 0) + m.restBytes;
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
    if (!h || !sameEtag(h.etag, p.etag)) throw manifestInvalid(manifestPath, `S3 lacks part ${p.partNumber} as recorded`);
  }
  const parts = await uploadRest(s3PartSender({ client, bucket: m.bucket, key: m.key }, m.uploadId), m, manifestPath, restPath, have, concurrency, log);
  await completeUpload({ client, bucket: m.bucket, key: m.key }, m.uploadId, parts);
  await removeFiles(manifestPath, restPath);
  log.info({ event: 'PartialUploadCompleted', bucket: m.bucket, key: m.key, bytes: total, parts: parts.length }, 'PartialUploadCompleted');
  return done;
}
