// The main job on an embedded default, for a newcomer on a fresh machine (run as root):
// installs the composer as this machine's core_pattern with the real agent, crashes a real
// program, restores core_pattern, and shows where the dump went, its zip entries and dump-info.
// Store: the S3 bucket named by S3_* if set; else a local Ceph RGW this script starts; else
// (no Ceph installed) the spool directory.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig } from '../src/shared/config.ts';
import { createS3Client } from '../src/shared/s3-client.ts';
import { buildCrasher } from '../test/helpers/crasher.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = '/tmp/cdc-demo';
const HOST_DIR = `${WORK}/host`;
const S3_DIR = `${WORK}/s3`;
const say = (s: string) => console.log(`\x1b[1m==>\x1b[0m ${s}`);

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function agent(command: string, env: Record<string, string>): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/agent.cjs'), command], {
    env: { ...process.env, ...env, COMPOSER_SOURCE_DIR: path.join(ROOT, 'dist') }, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`agent ${command} failed:\n${r.stdout}${r.stderr}`);
}

async function startLocalS3(): Promise<Record<string, string>> {
  say('starting a local S3 server (Ceph RGW on 127.0.0.1:7580) ...');
  const endpoint = execFileSync('bash', [path.join(ROOT, 'scripts/s3-local.sh'), 'up', S3_DIR, '7580', '6889'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const env = { S3_ENDPOINT: endpoint, S3_BUCKET_NAME: 'core-dumps', S3_ACCESS_KEY: 'CDCTESTACCESSKEY', S3_SECRET: 'CDCTESTSECRETKEY0123456789', S3_REGION: 'us-east-1' };
  const client = createS3Client(loadConfig(env).config.s3);
  await client.send(new CreateBucketCommand({ Bucket: 'core-dumps' }));
  client.destroy();
  return env;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const v = await fn();
    if (v !== undefined) return v;
  }
  return undefined;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the demo sets /proc/sys/kernel/core_pattern (and restores it)');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  let startedS3 = false;
  let s3Env: Record<string, string> = {};
  if (process.env.S3_BUCKET_NAME) {
    s3Env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('S3_') && v !== undefined)) as Record<string, string>;
    say(`using your bucket ${process.env.S3_BUCKET_NAME}`);
  } else if (hasCommand('radosgw')) {
    s3Env = await startLocalS3();
    startedS3 = true;
  } else {
    say('no S3 configured and no Ceph installed: dumps go to the spool directory');
  }
  const env = { HOST_DIR, CORE_DIR: `${HOST_DIR}/cores`, EVENT_DIR: `${HOST_DIR}/events`, COMP_LOG_LEVEL: 'info', METRICS_PORT: '0', ...s3Env };
  const restore = () => {
    try {
      agent('remove', env);
    } catch (e) {
      console.error(String(e));
    }
  };
  process.once('SIGINT', () => { restore(); process.exit(130); });
  try {
    const before = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
    agent('install', env);
    say(`core_pattern was:  ${before}`);
    say(`core_pattern now:  ${fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim()}`);
    const program = buildCrasher();
    say(`crashing ${program} (it fills 16 MiB of heap, then writes through a null pointer) ...`);
    const t0 = Date.now();
    const crash = spawnSync('bash', ['-c', 'ulimit -c unlimited; exec "$0" 16', program], { encoding: 'utf8' });
    say(`it died of ${crash.signal}; the kernel piped its core to the composer (${Date.now() - t0} ms until it was reaped)`);

    let zipFile: string | undefined;
    if (s3Env.S3_BUCKET_NAME) {
      const cfg = loadConfig(s3Env).config.s3;
      const client = createS3Client(cfg);
      const key = await waitFor(async () => {
        const out = await client.send(new ListObjectsV2Command({ Bucket: cfg.bucket!, Prefix: cfg.keyPrefix }));
        return out.Contents?.map((o) => o.Key!).find((k) => k.endsWith('.zip') && k.includes('-crasher-'));
      }, 60_000);
      if (key) {
        say(`the dump went to S3: s3://${cfg.bucket}/${key}  (endpoint ${cfg.endpoint ?? 'AWS'})`);
        const obj = await client.send(new GetObjectCommand({ Bucket: cfg.bucket!, Key: key }));
        zipFile = path.join(WORK, path.basename(key));
        fs.writeFileSync(zipFile, Buffer.from(await obj.Body!.transformToByteArray()));
      }
      client.destroy();
    }
    if (!zipFile) {
      const found = await waitFor(async () => {
        const f = fs.readdirSync(env.CORE_DIR).find((n) => n.endsWith('.zip'));
        return f ? path.join(env.CORE_DIR, f) : undefined;
      }, 60_000);
      if (found) say(`the dump went to the spool directory: ${found}`);
      zipFile = found;
    }
    if (!zipFile) throw new Error(`no dump arrived; see ${HOST_DIR}/composer.log`);
    say('zip entries (unzip -l):');
    console.log(execFileSync('unzip', ['-l', zipFile], { encoding: 'utf8' }));
    const info = execFileSync('unzip', ['-Z1', zipFile], { encoding: 'utf8' }).split('\n').find((n) => n.endsWith('-dump-info.json'))!;
    say(`${info}:`);
    console.log(execFileSync('unzip', ['-p', zipFile, info], { encoding: 'utf8' }));
    say(`composer log: ${HOST_DIR}/composer.log`);
  } finally {
    restore();
    say(`core_pattern restored: ${fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim()}`);
    if (startedS3) execFileSync('bash', [path.join(ROOT, 'scripts/s3-local.sh'), 'down', S3_DIR]);
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
