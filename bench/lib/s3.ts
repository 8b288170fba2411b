// The S3 server all S3 scenarios share: the one named by CDC_BENCH_S3_ENDPOINT, or a Ceph RGW the
// bench starts itself (scripts/s3-local.sh) on ports apart from the tests' and the dev one's.
// One bucket per bench run, emptied after every measured run so big cores do not fill the OSD.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ROOT, WORK } from './paths.ts';

export const ACCESS_KEY = 'CDCTESTACCESSKEY';
export const SECRET = 'CDCTESTSECRETKEY0123456789';
const OWN_DIR = path.join(WORK, 's3');
const SCRIPT = path.join(ROOT, 'scripts/s3-local.sh');

/** The composer's (and the design pipeline's) settings for the bench bucket: one place. */
export function composerS3Env(s3: Pick<BenchS3, 'endpoint' | 'bucket'>): Record<string, string> {
  return { S3_ENDPOINT: s3.endpoint, S3_BUCKET_NAME: s3.bucket, S3_ACCESS_KEY: ACCESS_KEY, S3_SECRET: SECRET, S3_REGION: 'us-east-1' };
}

export interface BenchS3 {
  endpoint: string;
  bucket: string;
  own: boolean; // started by us
  /** Objects now in the bucket, with sizes. */
  objects(): Promise<{ key: string; size: number }[]>;
  /** One object's bytes (the bench's objects are dumps of a few MiB to check, not the big cores). */
  get(key: string): Promise<Buffer>;
  /** Deletes every object and open upload, then lets the RGW reclaim the space if we know its dir. */
  clear(): Promise<void>;
  /** CPU seconds used so far by the RGW and OSD daemons (the S3 server shares our 2 cores), if known. */
  serverCpuS(): number | undefined;
  /** Environment for rclone: a remote called "bench" (no config file needed). */
  rcloneEnv(): Record<string, string>;
  close(): Promise<void>;
}

export async function openS3(endpointFromEnv: string | undefined, dirFromEnv: string | undefined, log: (s: string) => void): Promise<BenchS3> {
  let endpoint = endpointFromEnv;
  const own = !endpoint;
  const stateDir = own ? OWN_DIR : dirFromEnv;
  if (!endpoint) {
    log(`starting a Ceph RGW for the bench in ${OWN_DIR} (port 27480); set CDC_BENCH_S3_ENDPOINT to use a running one`);
    endpoint = execFileSync('bash', [SCRIPT, 'up', OWN_DIR, '27480', '26789'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } });
  const bucket = `cdc-bench-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await warmUp(client, bucket);

  const objects = async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (out.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
  };
  const clear = async () => {
    const ups = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of ups.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
    for (const o of await objects()) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
    if (stateDir) execFileSync('bash', [SCRIPT, 'gc', stateDir], { stdio: 'ignore' });
  };
  return {
    endpoint, bucket, own, objects, clear,
    get: async (key) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray()),
    serverCpuS: () => (stateDir ? daemonCpuS(stateDir) : undefined),
    rcloneEnv: () => ({
      RCLONE_CONFIG: '/dev/null', RCLONE_CONFIG_BENCH_TYPE: 's3', RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph',
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint, RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: ACCESS_KEY,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: SECRET, RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    }),
    async close() {
      await clear().catch(() => {});
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
      client.destroy();
      if (own) execFileSync('bash', [SCRIPT, 'down', OWN_DIR], { stdio: 'ignore' });
    },
  };
}

/**
 * One tiny multipart upload, deleted again: a fresh RGW creates its data and multipart pools on the
 * first upload (seconds of wall time), which would otherwise land in whichever scenario runs first.
 */
async function warmUp(client: S3Client, bucket: string): Promise<void> {
  const Key = 'warm-up';
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
  const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from('warm-up') }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
}

/** utime + stime of the RGW and OSD processes named by pid files in DIR/run (CLK_TCK is 100 on Linux). */
function daemonCpuS(stateDir: string): number | undefined {
  let ticks = 0;
  for (const d of ['rgw', 'osd']) {
    try {
      const pid = fs.readFileSync(path.join(stateDir, 'run', `${d}.pid`), 'utf8').trim();
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 on: utime is 14, stime 15
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      return undefined;
    }
  }
  return ticks / 100;
}
