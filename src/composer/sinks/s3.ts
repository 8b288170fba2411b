// The S3 side of the direct sink (staged.ts): a multipart upload, its parts sent by UploadPart.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { abortUpload, completeUpload, s3PartSender } from '../../shared/s3-commands.ts';
import { openStagedSink } from './staged.ts';
import type { Sink } from './types.ts';

export interface S3SinkOptions {
  config: Config;
  name: string;
  log: Logger;
  client: S3Client; // owned by the sink from here on: destroyed when it is done
  bucket: string;
  key: string;
  uploadId: string;
}

export function openS3Sink(o: S3SinkOptions): Sink {
  const { client, bucket, key, uploadId } = o;
  const target = { client, bucket, key };
  return openStagedSink({
    config: o.config, name: o.name, log: o.log,
    upload: {
      bucket, key, uploadId,
      send: s3PartSender(target, uploadId),
      complete: (parts, signal) => completeUpload(target, uploadId, parts, signal),
      discard: (log) => abortUpload(target, uploadId, log),
      close: () => client.destroy(),
    },
  });
}
