// tap "after": stop the RGW that s3-before.ts started.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { S3_STATE_DIR } from './s3.ts';

if (!process.env.CDC_TEST_S3_ENDPOINT) {
  const script = new URL('../../scripts/s3-local.sh', import.meta.url).pathname;
  execFileSync('bash', [script, 'down', `${S3_STATE_DIR}/ceph`], { stdio: 'inherit' });
  fs.rmSync(S3_STATE_DIR, { recursive: true, force: true });
}
