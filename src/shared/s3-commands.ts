// The S3 multipart commands the composer and the agent both send (create, complete, abort), on the
// plain SDK commands. The part loop is part-uploader.ts's (s3PartSender is its S3 send); agent-only commands live in the agent.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  HeadObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import type { PartSender } from './part-uploader.ts';
import type { Logger } from './log.ts';
import { CdcError, describeError } from './errors.ts';
import type { UploadedPart } from './spool/names.ts';

export type { UploadedPart } from './spool/names.ts';
export { MAX_PARTS, MIN_PART_BYTES } from './s3-limits.ts';

export interface UploadTarget { client: S3Client; bucket: string; key: string }

/** The PartUploader's sender for an S3 multipart upload: one UploadPart, its ETag the receipt. */
export function s3PartSender(t: UploadTarget, uploadId: string): PartSender {
  return async (partNumber, body, abortSignal) => (await t.client.send(new UploadPartCommand({
    Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length,
  }), { abortSignal })).ETag ?? '';
}

/** NoSuchUpload; RGW 16 says NoSuchKey, or a bare 404 once the upload was completed. */
export function isGone(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchUpload' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
}

/** The size of the object at the target's key, or undefined when there is none. */
export async function existingObject(t: UploadTarget, signal?: AbortSignal): Promise<{ bytes: number } | undefined> {
  try {
    const head = await t.client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: t.key }), { abortSignal: signal });
    return { bytes: head.ContentLength ?? 0 };
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/** Refuses a key that already holds an object: a dump never replaces another (CDC_KEY_EXISTS). */
export async function assertNoObject(t: UploadTarget, signal?: AbortSignal): Promise<void> {
  const found = await existingObject(t, signal);
  if (found) throw new CdcError('CDC_KEY_EXISTS', `s3://${t.bucket}/${t.key} already holds ${found.bytes} bytes`);
}

/** Starts a multipart upload and returns its id; `metadata` becomes the object's x-amz-meta-* headers. */
export async function createUpload(t: UploadTarget, signal?: AbortSignal, metadata?: Record<string, string>): Promise<string> {
  const out = await t.client.send(
    new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ContentType: 'application/zip', Metadata: metadata }),
    { abortSignal: signal },
  );
  if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return out.UploadId;
}

/**
 * Completes an upload, never over an existing object where the store honours If-None-Match (AWS
 * does; Ceph RGW 16 ignores it on this call, so callers also check before they start). RGW 16
 * answers with an empty ETag, so when there is none we ask HeadObject, which also proves the
 * object is really there with the size we sent.
 */
export async function completeUpload(
  t: UploadTarget, uploadId: string, parts: readonly UploadedPart[], signal?: AbortSignal,
): Promise<{ etag: string; bytes: number }> {
  const bytes = parts.reduce((n, p) => n + p.size, 0);
  const out = await t.client.send(new CompleteMultipartUploadCommand({
    Bucket: t.bucket, Key: t.key, UploadId: uploadId, IfNoneMatch: '*',
    MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
  }), { abortSignal: signal });
  if (out.ETag) return { etag: out.ETag, bytes };
  const head = await t.client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: t.key }), { abortSignal: signal });
  if (head.ContentLength !== bytes) {
    throw new Error(`completed object has ${head.ContentLength} bytes, expected ${bytes}`);
  }
  return { etag: head.ETag ?? '', bytes };
}

/** Aborts an upload; never throws (it is a clean-up step), returns whether S3 confirmed. */
export async function abortUpload(t: UploadTarget, uploadId: string, log: Logger): Promise<boolean> {
  try {
    await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId }));
    log.info({ event: 'UploadAborted', bucket: t.bucket, key: t.key }, 'UploadAborted');
    return true;
  } catch (e) {
    if (isGone(e)) return true; // already gone
    log.warn({ event: 'UploadAbortFailed', code: 'CDC_S3_ABORT_FAILED', bucket: t.bucket, key: t.key, err: describeError(e) }, 'UploadAbortFailed');
    return false;
  }
}
