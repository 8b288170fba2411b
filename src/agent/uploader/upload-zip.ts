// Uploads one complete spooled zip and deletes it only once S3 has confirmed it whole.
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { pipeline } from 'node:stream/promises';
import { openRegular } from '../../shared/spool/index.ts';
import { MultipartWriteStream } from './multipart-stream.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, describeError } from '../../shared/errors.ts';
import { existingObject } from '../../shared/s3-commands.ts';
import type { PartSchedule } from '../../shared/part-schedule.ts';

export interface ZipUploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  file: string;
  /** Part sizes (they grow with the upload: shared/part-schedule.ts). */
  schedule: PartSchedule;
  /** Parts in flight at once; memory use is about partSize x queueSize. */
  queueSize: number;
  log: Logger;
}

/**
 * A killed agent leaves its multipart upload open on S3 (parts billed, never visible). The same key
 * is only ever uploaded by us from this file, so any open upload for it is such a leftover.
 */
async function abortLeftovers(o: ZipUploadOptions): Promise<void> {
  const out = await o.client.send(new ListMultipartUploadsCommand({ Bucket: o.bucket, Prefix: o.key }));
  for (const u of out.Uploads ?? []) {
    if (u.Key !== o.key || !u.UploadId) continue;
    await o.client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: u.UploadId }));
    o.log.info({ event: 'LeftoverUploadAborted', key: o.key }, 'aborted a multipart upload an earlier agent left');
  }
}

export async function uploadZip(o: ZipUploadOptions): Promise<number> {
  // Read through a checked descriptor: a symlink or FIFO planted in CORE_DIR is never uploaded.
  const { fh, size, mtimeMs } = await openRegular(o.file);
  try {
    const before = await fh.stat();
    const found = await existingObject(o);
    if (found) {
      // Our own earlier upload, if the agent died before deleting the file: the same bytes are there.
      if (found.bytes !== size) throw new CdcError('CDC_KEY_EXISTS', `s3://${o.bucket}/${o.key} holds ${found.bytes} bytes, ${o.file} has ${size}; kept`);
      o.log.info({ event: 'DumpFoundUploaded', key: o.key, bytes: size }, 'the object is already in S3; removing the local copy');
      await fs.unlink(o.file);
      return size;
    }
    await abortLeftovers(o).catch((e) => o.log.warn({ event: 'LeftoverCheckFailed', code: 'CDC_UPLOAD_FAILED', key: o.key, err: describeError(e) }, 'could not list open uploads'));
    const sink = new MultipartWriteStream({ client: o.client, bucket: o.bucket, key: o.key, schedule: o.schedule, concurrency: o.queueSize, log: o.log });
    await pipeline(fh.createReadStream({ start: 0, highWaterMark: 1024 * 1024, autoClose: false }), sink);
    await sink.result;
    const head = await o.client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.key }));
    if (head.ContentLength !== size) {
      throw new Error(`S3 holds ${head.ContentLength} bytes for ${o.key}, the file has ${size}`);
    }
    await removeIfUnchanged(fh, o.file, before, size, mtimeMs);
    return size;
  } finally {
    await fh.close();
  }
}

/** Deletes the uploaded file, unless it changed while it was read (both stores' uploads end so). */
export async function removeIfUnchanged(fh: fs.FileHandle, file: string, before: Stats, size: number, mtimeMs: number): Promise<void> {
  const after = await fh.stat();
  const named = await fs.lstat(file).catch(() => undefined);
  if (after.size !== size || after.mtimeMs !== mtimeMs || named?.ino !== before.ino) {
    // Someone wrote to it (or replaced it) while we read it: keep it, the next pass uploads the final bytes.
    throw new Error(`${file} changed during the upload; kept for the next pass`);
  }
  await fs.unlink(file);
}
