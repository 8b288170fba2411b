// tap "before": start one Ceph RGW for the whole run unless one is already given.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { S3_STATE_DIR } from './s3.ts';

if (!process.env.CDC_TEST_S3_ENDPOINT) {
  fs.mkdirSync(S3_STATE_DIR, { recursive: true });
  const script = new URL('../../scripts/s3-local.sh', import.meta.url).pathname;
  const out = execFileSync('bash', [script, 'up', `${S3_STATE_DIR}/ceph`, '17480', '16789'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = out.trim().split('\n').pop()!;
  fs.writeFileSync(`${S3_STATE_DIR}/endpoint`, endpoint + '\n');
  console.log(`# test S3 (Ceph RGW) at ${endpoint}`);
}
