// cdh against the real RGW, on dumps made by real kernel crashes: a C program's SIGSEGV (its core
// also teed to a file on the way to the composer, so `get` can be compared byte for byte with what
// the kernel sent) and `sleep` killed by SIGABRT. Every command, the filters, --json, the errors.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { createTestBucket } from '../helpers/s3.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { buildCrasher } from '../helpers/crasher.ts';
import { jsonLines, runCdh } from '../helpers/cdh.ts';

const bucket = await createTestBucket('cdh');
t.teardown(() => bucket.destroy());
const c = installComposer(bucket.env);
t.teardown(() => c.remove());
const program = buildCrasher();
const env = bucket.env;

// The kernel's core, teed on its way to the composer: the reference `get` must reproduce.
const refCore = path.join(c.dir, 'ref.core');
const tee = path.join(c.dir, 'tee');
fs.writeFileSync(tee, `#!/bin/sh\n/usr/bin/tee ${refCore} | ${c.launcher} "$@"\n`, { mode: 0o755 });

async function dumpsStored(n: number): Promise<void> {
  await waitFor(`${n} dumps and summaries`, async () => {
    const all = await bucket.allKeys();
    return all.filter((k) => k.endsWith('.zip')).length >= n && all.filter((k) => k.includes('cdh-index/')).length >= n ? true : undefined;
  });
}

await withCorePattern(c.pattern.replace(c.launcher, tee), async () => {
  spawnSync('bash', ['-c', `ulimit -c unlimited; exec "$0" 1`, program]);
  await dumpsStored(1);
});
await new Promise((r) => setTimeout(r, 1100)); // a later %t second: a fixed newest-first order
await withCorePattern(c.pattern, async () => {
  spawnSync('bash', ['-c', 'ulimit -c unlimited; sleep 30 & pid=$!; sleep 0.2; kill -ABRT $pid; wait $pid']);
  await dumpsStored(2);
});

const listed = jsonLines(await runCdh(['list', '--json'], env));
const segv = listed.find((d) => d.exe === 'crasher')!;
const quit = listed.find((d) => d.exe === 'sleep')!;

t.test('list --json: both crashes, newest first, with what dump-info says', async (t) => {
  t.equal(listed.length, 2);
  t.same(listed.map((d) => d.exe), ['sleep', 'crasher'], 'newest first');
  t.match(segv, { state: 'stored', signal: 11, signalName: 'SIGSEGV', node: os.hostname(), namespace: null, pod: null, fingerprint: /^[0-9a-f]{16}$/  });
  t.match(quit, { signal: 6, signalName: 'SIGABRT' });
  t.same(listed.map((d) => d.key).sort(), await bucket.keys(), 'the keys are the zips');
  t.ok(segv.coreBytes > 1 << 20 && segv.zipBytes > 0, 'sizes from the summary and the listing');
  t.match(segv.id, /^[0-9a-f]{8}-[0-9a-f-]{27}$/);
});

t.test('every filter', async (t) => {
  const ids = async (...args: string[]) => jsonLines(await runCdh(['list', '--json', ...args], env)).map((d) => d.exe);
  t.same(await ids('--signal', 'SEGV'), ['crasher']);
  t.same(await ids('--signal', 'SIGABRT'), ['sleep']);
  t.same(await ids('--signal', '6'), ['sleep']);
  t.same(await ids('--node', os.hostname()), ['sleep', 'crasher']);
  t.same(await ids('--node', 'other-*'), []);
  t.same(await ids('--since', '1h'), ['sleep', 'crasher']);
  t.same(await ids('--until', '1h'), []);
  t.same(await ids('--since', new Date(quit.time).toISOString()), ['sleep']);
  t.same(await ids('--until', new Date(segv.time).toISOString()), ['crasher'], '--until starts the listing there');
  // A host crash has no pod: the pod filters select nothing (the container e2e and the synthetic test cover matches).
  for (const f of ['--namespace', '--pod', '--container', '--image']) t.same(await ids(f, '*'), [], `${f} '*' on host crashes`);
  t.same((await ids('--fingerprint', '*')).sort(), ['crasher', 'sleep'], 'every triaged crash has a fingerprint');
});

t.test('the table', async (t) => {
  const r = await runCdh(['list'], { ...env, COLUMNS: '80' });
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ID\s+TIME\s+SIGNAL\s+EXE/);
  t.equal(lines.length, 3);
  t.ok(lines.every((l) => l.length <= 80), 'fits 80 columns');
  t.match(lines[1], new RegExp(`^${quit.id.slice(0, 8)}\\s.*SIGABRT\\s+sleep`));
});

t.test('show: dump-info, no triage yet, by a uuid prefix', async (t) => {
  const r = await runCdh(['show', segv.id.slice(0, 6)], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`ID: ${segv.id}`));
  t.match(r.stdout, /signal: SIGSEGV \(11\)/);
  t.match(r.stdout, new RegExp(`exe: ${program}`));
  t.match(r.stdout, /crash:\n  summary: SIGSEGV at crasher\+0x[0-9a-f]+ in crash_here[\s\S]*signal: SIGSEGV \(SEGV_MAPERR\) at 0x0[\s\S]*#0 crasher\+0x[0-9a-f]+  crash_here/, 'the crash summary: what and where');
  const j = JSON.parse((await runCdh(['show', segv.key, '--json'], env)).stdout);
  t.equal(j.dumpInfo.signal, '11', 'show --json by object key');
  t.equal(j.dump.id, segv.id);
  t.ok(j.entries.some((e: { name: string }) => e.name.endsWith('.core')));
});

t.test('get: the core cmps equal to the kernel\'s, and gdb reads it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdh-get-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = await runCdh(['get', segv.id, '-o', dir], env);
  t.equal(r.status, 0, r.stderr);
  const core = path.join(dir, `${segv.name}.core`);
  t.ok(r.stdout.split('\n').includes(core), 'prints the extracted files');
  t.equal(spawnSync('cmp', [core, refCore]).status, 0, 'cmp: identical to the core the kernel piped');
  t.notOk(fs.existsSync(path.join(dir, `${segv.name}.zip`)), 'the zip is removed');
  const bt = execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', program, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.match(bt, /crash_here[\s\S]*do_work[\s\S]*main/);
  const again = await runCdh(['get', segv.id, '-o', dir], env);
  t.equal(again.status, 1, 'never overwrites');
  t.match(again.stderr, /CDC_CLI_LOCAL_FILE/);
});

t.test('gdb: gets, then runs gdb on the core and the executable', async (t) => {
  const r = await runCdh(['gdb', segv.id, '--exe', program, '-q', '--', '-batch', '-nx', '-ex', 'bt'], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /crash_here[\s\S]*do_work[\s\S]*main/);
  const found = await runCdh(['gdb', segv.id, '--', '-batch', '-nx', '-ex', 'bt'], env);
  t.match(found.stderr, new RegExp(`executable: ${program}`), 'the recorded exe_path, found on this machine');
  t.match(found.stdout, /crash_here/);
});

t.test('groups', async (t) => {
  const g = jsonLines(await runCdh(['groups', '--json'], env));
  t.equal(g.length, 2);
  t.match(g.find((x) => x.exe === 'crasher'), { fingerprint: /^[0-9a-f]{16}$/, signal: 11, count: 1, pods: [], namespaces: [], latest: segv.id });
  const r = await runCdh(['groups'], { ...env, COLUMNS: '200' });
  t.match(r.stdout, /^FINGERPRINT\s+COUNT\s+EXE\s+SIGNAL\s+FIRST SEEN\s+LAST SEEN/);
});

t.test('errors: one line, non-zero exit', async (t) => {
  const expect = async (args: string[], e: Record<string, string>, code: string, status = 1) => {
    const r = await runCdh(args, e);
    t.equal(r.status, status, `${args.join(' ')} exits ${status}`);
    t.match(r.stderr, new RegExp(`^cdh: .*\\(${code}\\)\\n$`), `${code}: ${r.stderr.trim()}`);
  };
  await expect(['show', 'ffffffff-0000'], env, 'CDC_CLI_ID_UNKNOWN');
  await expect(['show', ''], env, 'CDC_CLI_ID_AMBIGUOUS');
  await expect(['list'], { ...env, S3_BUCKET_NAME: 'no-such-bucket-cdh' }, 'CDC_CLI_NO_BUCKET');
  await expect(['list'], { ...env, S3_SECRET: 'wrong' }, 'CDC_CLI_ACCESS_DENIED');
  const { S3_ACCESS_KEY: _a, S3_SECRET: _s, ...noKeys } = env;
  await expect(['list'], { ...noKeys, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' }, 'CDC_CLI_NO_CREDENTIALS');
  await expect(['list'], { ...env, S3_ENDPOINT: 'http://127.0.0.1:9' }, 'CDC_CLI_S3_UNREACHABLE');
  await expect(['list', '--since', 'yesterday'], env, 'CDC_CLI_USAGE', 2);
  await expect(['show'], env, 'CDC_CLI_USAGE', 2);
  await expect(['get', 'x', '--older-than', '1d'], env, 'CDC_CLI_USAGE', 2);
  const name = '11111111-2222-3333-4444-555555555555-dump-1-h-inflight-1-11';
  await bucket.client.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: `${name}.zip` }));
  await expect(['get', '1111'], env, 'CDC_CLI_UPLOADING');
  t.match(jsonLines(await runCdh(['list', '--json'], env)).find((d) => d.name === name), { state: 'uploading' }, 'list shows it as uploading');
});

t.test('prune: --dry-run deletes nothing; then the old dumps go, zip and summary', async (t) => {
  const before = await bucket.allKeys();
  const dry = await runCdh(['prune', '--older-than', '1s', '--dry-run'], env);
  t.equal(dry.status, 0, dry.stderr);
  t.equal(dry.stdout.trim().split('\n').filter((l) => l.startsWith('would delete')).length, 2);
  t.match(dry.stderr, /dry run: nothing deleted/);
  t.match(dry.stderr, /put-bucket-lifecycle-configuration/, 'says how to set a lifecycle rule');
  t.same(await bucket.allKeys(), before, 'nothing deleted');
  const young = await runCdh(['prune', '--older-than', '1d'], env);
  t.match(young.stderr, /^0 dumps older than 1d deleted/);
  t.same(await bucket.allKeys(), before);
  const real = await runCdh(['prune', '--older-than', '1s', '--signal', 'SEGV'], env);
  t.equal(real.status, 0, real.stderr);
  t.same(jsonLines(await runCdh(['list', '--json'], env)).filter((d) => d.state === 'stored').map((d) => d.exe), ['sleep'], 'the filter applies');
  t.equal((await bucket.allKeys()).length, before.length - 2, 'zip and summary deleted');
});
