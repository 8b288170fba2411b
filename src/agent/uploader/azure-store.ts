// The agent's uploads into Azure Blob Storage (store.ts's interface): a spooled zip is staged as
// blocks and committed; a dump cut mid-stream is finished from its manifest by staging the rest
// file's blocks after the ones the composer staged and committing them all. Both are safe to
// repeat after a crash: a blob of the expected size counts as done, re-staging a block id
// replaces it, and a commit never overwrites a blob (If-None-Match: *). Once a blob is whole its
// cdh summary is stored beside it, as on S3 (store.ts summaryAfterUpload).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../../shared/log.ts';
import { CdcError } from '../../shared/errors.ts';
import {
  blobTarget, blobUrl, blockSender, commitBlocks, existingBlob, newUploadTag, stagedBlocks, type BlobTarget,
} from '../../shared/azure-blob.ts';
import type { PartSchedule } from '../../shared/part-schedule.ts';
import { PartUploader } from '../../shared/part-uploader.ts';
import { azureObjects } from '../../shared/azure-objects.ts';
import { manifestInvalid, openRegular, readManifest } from '../../shared/spool/index.ts';
import { checkTarget, removeFiles, uploadRest } from './complete-partial.ts';
import { removeIfUnchanged } from './upload-zip.ts';
import { summaryAfterUpload, type SpoolStore } from './store.ts';

export interface AzureStoreOptions {
  /** shared/azure-blob.ts createContainerClient, asked for once at the first upload. */
  container: () => Promise<ContainerClient>;
  /** Its name (AZURE_STORAGE_CONTAINER), known before the client is. */
  containerName: string;
  keyPrefix: string;
  /** Part (block) sizes, as for S3 (shared/part-schedule.ts). */
  schedule: PartSchedule;
  /** Blocks in flight at once. */
  queueSize: number;
}

/** A blob already there: ours from an earlier run if its size matches, else not to be replaced. */
async function alreadyStored(t: BlobTarget, bytes: number, log: Logger): Promise<boolean> {
  const found = await existingBlob(t);
  if (!found) return false;
  if (found.bytes !== bytes) throw new CdcError('CDC_KEY_EXISTS', `${blobUrl(t)} holds ${found.bytes} bytes, the dump has ${bytes}; kept`);
  log.info({ event: 'DumpFoundUploaded', key: t.name, bytes }, 'the blob is already stored; removing the local copy');
  return true;
}

type Resolved = Omit<AzureStoreOptions, 'container'> & { container: ContainerClient };

async function uploadZipToAzure(o: Resolved, file: string, key: string, log: Logger): Promise<number> {
  const t = blobTarget(o.container, key);
  const { fh, size, mtimeMs } = await openRegular(file);
  try {
    const before = await fh.stat();
    if (await alreadyStored(t, size, log)) {
      await fs.unlink(file);
      return size;
    }
    const uploader = new PartUploader({ send: blockSender(t, newUploadTag()), schedule: o.schedule, concurrency: o.queueSize, log });
    for await (const chunk of fh.createReadStream({ start: 0, highWaterMark: 1024 * 1024, autoClose: false }) as AsyncIterable<Buffer>) {
      if (!(await uploader.write(chunk))) throw uploader.failure!;
    }
    if (!(await uploader.flush())) throw uploader.failure!;
    const parts = uploader.parts();
    await commitBlocks(t, parts.map((p) => p.etag), size);
    const stored = await existingBlob(t);
    if (stored?.bytes !== size) throw new Error(`Azure holds ${stored?.bytes} bytes for ${key}, the file has ${size}`);
    await removeIfUnchanged(fh, file, before, size, mtimeMs);
    return size;
  } finally {
    await fh.close();
  }
}

async function completeOnAzure(o: Resolved, manifestPath: string, log: Logger): Promise<{ bytes: number }> {
  const m = await readManifest(manifestPath);
  if (m.store !== 'azure') throw manifestInvalid(manifestPath, 'is for S3, but the agent stores to Azure');
  checkTarget(m, manifestPath, { bucket: o.container.containerName, keyPrefix: o.keyPrefix });
  const t = blobTarget(o.container, m.key);
  const restPath = path.join(path.dirname(manifestPath), m.restFile);
  const total = m.parts.reduce((n, p) => n + p.size, 0) + m.restBytes;
  log.info({ event: 'PartialUploadResumed', store: 'azure', bucket: m.bucket, key: m.key, parts: m.parts.length, restBytes: m.restBytes }, 'PartialUploadResumed');
  // Committed by an earlier run that died before deleting the files.
  if (await alreadyStored(t, total, log)) {
    await removeFiles(manifestPath, restPath);
    log.info({ event: 'PartialUploadFoundComplete', bucket: m.bucket, key: m.key, bytes: total }, 'PartialUploadFoundComplete');
    return { bytes: total };
  }
  const staged = await stagedBlocks(t);
  for (const p of m.parts) {
    if (staged.get(p.etag) !== p.size) {
      throw new CdcError('CDC_UPLOAD_GONE', `${blobUrl(t)} lacks staged block ${p.partNumber} (uncommitted blocks expire after a week); kept ${manifestPath}`);
    }
  }
  const parts = await uploadRest(blockSender(t, m.uploadId), m, manifestPath, restPath, undefined, o.queueSize, log);
  await commitBlocks(t, parts.map((p) => p.etag), total);
  await removeFiles(manifestPath, restPath);
  log.info({ event: 'PartialUploadCompleted', store: 'azure', bucket: m.bucket, key: m.key, bytes: total, parts: parts.length }, 'PartialUploadCompleted');
  return { bytes: total };
}

export function azureSpoolStore(o: AzureStoreOptions): SpoolStore {
  let client: Promise<ContainerClient> | undefined;
  // A failed client build (bad credentials settings) is tried again at the next upload.
  const resolved = async (): Promise<Resolved> => {
    client ??= o.container().catch((e: unknown) => { client = undefined; throw e; });
    return { ...o, container: await client };
  };
  const summaries = { objects: azureObjects(async () => (await resolved()).container, o.containerName), keyPrefix: o.keyPrefix };
  return {
    kind: 'azure',
    uploadZip: async (file, key, log) => uploadZipToAzure(await resolved(), file, key, log),
    completePartial: async (manifestPath, log) => completeOnAzure(await resolved(), manifestPath, log),
    stored: summaryAfterUpload(summaries),
  };
}
