// Where the agent's uploader puts spooled dumps: the one interface both stores meet (S3 here,
// Azure in azure-store.ts). The uploader's scan, retry policy, metrics and Events stay the same.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/log.ts';
import { readStoredDumpInfo, storeSummary, type SummaryTarget } from '../../shared/dump-summary.ts';
import { s3Objects } from '../../shared/s3-objects.ts';
import { uploadZip } from './upload-zip.ts';
import type { PartSchedule } from '../../shared/part-schedule.ts';

export interface SpoolStore {
  readonly kind: 's3' | 'azure';
  /** Uploads a whole spooled zip as `key`, deletes it once stored; returns its size. */
  uploadZip(file: string, key: string, log: Logger): Promise<number>;
  /** Finishes a dump the composer left half-stored (shared/spool/names.ts, the manifest). */
  completePartial(manifestPath: string, log: Logger): Promise<{ bytes: number }>;
  /** After a spooled dump is whole in the store: its cdh summary (summaryAfterUpload). */
  stored(name: string, log: Logger): Promise<void>;
}

export type CompletePartial = (client: S3Client, manifestPath: string, log: Logger) => Promise<{ bytes: number }>;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  keyPrefix: string;
  /** Part sizes (they grow with the upload: shared/part-schedule.ts). */
  schedule: PartSchedule;
  /** Parts in flight at once. */
  queueSize: number;
  /** complete-partial.ts completePartialUpload (a test may wrap it). */
  completePartial: CompletePartial;
}

/**
 * The `stored` hook of either store: the composer could not store this dump's summary for cdh (it
 * never reached the store whole), so it is made now from dump-info read back from the stored zip.
 */
export function summaryAfterUpload(target: SummaryTarget): SpoolStore['stored'] {
  return (name, log) => storeSummary(target, () => readStoredDumpInfo(target, name), log);
}

export function s3SpoolStore(o: S3StoreOptions): SpoolStore {
  // The client is the agent's, shared with the uploads: not the summaries' to close.
  const target = { objects: s3Objects(o.client, o.bucket, false), keyPrefix: o.keyPrefix };
  return {
    kind: 's3',
    uploadZip: (file, key, log) => uploadZip({ client: o.client, bucket: o.bucket, key, file, schedule: o.schedule, queueSize: o.queueSize, log }),
    completePartial: (manifestPath, log) => o.completePartial(o.client, manifestPath, log),
    stored: summaryAfterUpload(target),
  };
}
