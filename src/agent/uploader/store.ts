// Where the agent's uploader puts spooled dumps: the one interface both stores meet (S3 here,
// Azure in azure-store.ts). The uploader's scan, retry policy, metrics and Events stay the same.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/log.ts';
import { readStoredDumpInfo, storeSummary } from '../../shared/dump-summary.ts';
import { uploadZip } from './upload-zip.ts';
import type { PartSchedule } from '../../shared/part-schedule.ts';

export interface SpoolStore {
  readonly kind: 's3' | 'azure';
  /** Uploads a whole spooled zip as `key`, deletes it once stored; returns its size. */
  uploadZip(file: string, key: string, log: Logger): Promise<number>;
  /** Finishes a dump the composer left half-stored (shared/spool/names.ts, the manifest). */
  completePartial(manifestPath: string, log: Logger): Promise<{ bytes: number }>;
  /** After a spooled dump is whole in the store (S3: its cdh summary). */
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

export function s3SpoolStore(o: S3StoreOptions): SpoolStore {
  const target = { client: o.client, bucket: o.bucket, keyPrefix: o.keyPrefix };
  return {
    kind: 's3',
    uploadZip: (file, key, log) => uploadZip({ client: o.client, bucket: o.bucket, key, file, schedule: o.schedule, queueSize: o.queueSize, log }),
    completePartial: (manifestPath, log) => o.completePartial(o.client, manifestPath, log),
    // The composer could not store this dump's summary for cdh (it never reached S3 whole): do it now.
    stored: (name, log) => storeSummary(target, () => readStoredDumpInfo(target, name), log),
  };
}
