// The pipeline the design named, as a bench peer: stdin -> zip-stream (deflate level 1) ->
// @aws-sdk/lib-storage `Upload` into S3. We shipped our own zip writer (src/composer/zip/) and
// multipart writer (src/shared/part-uploader.ts) instead; this keeps that decision measured.
//   node_modules/.bin/node bench/design-pipeline.ts ENDPOINT BUCKET KEY PART_MIB QUEUE < core
// (the scenario, bench/scenarios/peer-design-pipeline.ts, names the part size and queue size).
// Same S3 client as ours (createS3Client: same timeouts, checksums, unsigned part payloads), so
// what differs is only the zip and upload code. It writes just the core entry: no /proc, CRI or
// metadata work, so it is, if anything, flattered against the composer.
import { Readable } from 'node:stream';
import ZipStream from 'zip-stream';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client } from '../src/shared/s3-client.ts';
import { ACCESS_KEY, SECRET } from './lib/s3.ts';

const [endpoint, bucket, key, partMiB, queue] = process.argv.slice(2);
if (!endpoint || !bucket || !key || !(Number(partMiB) >= 5) || !(Number(queue) >= 1)) {
  console.error('usage: design-pipeline.ts ENDPOINT BUCKET KEY PART_MIB QUEUE < core');
  process.exit(2);
}

const client = createS3Client({
  bucket, region: 'us-east-1', endpoint, forcePathStyle: true,
  accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, sessionToken: undefined, keyPrefix: '',
});
// forceZip64: the core's size is unknown when its header is written and may pass 4 GiB (ours
// writes a ZIP64 extra on every streamed entry too).
const zip = new ZipStream({ zlib: { level: 1 }, forceZip64: true });
// lib-storage takes only Node's own Readable; zip-stream is a readable-stream one, so wrap it.
const body = Readable.from(zip, { objectMode: false });
const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body }, partSize: Number(partMiB) * 2 ** 20, queueSize: Number(queue) });
const done = upload.done();
zip.entry(process.stdin, { name: 'dump.core' }, (err) => {
  if (err) zip.destroy(err);
  else zip.finish();
});
try {
  await done;
} catch (e) {
  console.error(`design-pipeline: ${(e as Error).message}`);
  process.exit(1);
} finally {
  client.destroy();
}
