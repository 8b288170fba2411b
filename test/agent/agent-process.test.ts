// The agent as a real child process (the TS entry, run by Node's type stripping like the bundle's
// source): run -> install, health endpoints, inotify upload, SIGTERM -> uninstall; and SIGKILL in
// the middle of a large upload, then a restart: the dump still arrives whole.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../src/shared/spool/index.ts';
import { createHash, randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { createTestBucket } from '../helpers/s3.ts';
import { scratchHost } from '../helpers/scratch-host.ts';
import { startAgent } from '../helpers/agent-process.ts';
import { waitFor } from '../helpers/wait-for.ts';


const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('run: installs, serves health, uploads on inotify, uninstalls on SIGTERM', async (t) => {
  const b = await createTestBucket('agent-run');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  const a = startAgent(['run'], h, { ...b.env, USE_INOTIFY: 'true', DEPLOY_CRIO_EXE: 'true', VENDOR: 'rhel7' });
  t.teardown(() => a.proc.kill('SIGKILL'));
  await waitFor('health server', () => a.lines.some((l) => l.event === 'HealthServerStarted'));
  const port = a.lines.find((l) => l.event === 'HealthServerStarted')!.port;
  const base = `http://127.0.0.1:${port}`;
  t.equal((await fetch(`${base}/healthz`)).status, 200);
  const ready = await fetch(`${base}/readyz`);
  t.equal(ready.status, 200, JSON.stringify(await ready.clone().json()));
  t.match(h.read('kernel/core_pattern'), `|${h.hostDir}/cdc `);
  t.ok(a.lines.some((l) => l.event === 'CompatSettingsIgnored' && l.settings.VENDOR === 'rhel7'), 'seed no-op settings logged');

  await waitFor('startup sweep', () => a.lines.some((l) => l.event === 'TriggersStarted'));
  const body = randomBytes(2 * 1024 * 1024);
  fs.writeFileSync(path.join(h.coreDir, 'crash.zip.part'), body);
  fs.renameSync(path.join(h.coreDir, 'crash.zip.part'), path.join(h.coreDir, 'crash.zip')); // the composer's rename
  await waitFor('inotify upload', () => !fs.existsSync(path.join(h.coreDir, 'crash.zip')));
  t.ok((await b.get('crash.zip')).equals(body));
  // A direct-mode record: announced at once (here: no cluster, so skipped) and removed.
  const rec = path.join(h.eventDir, 'direct.cdc.json');
  // Written as the composer writes it (temp + rename): a half-written record is never seen.
  await writeFileAtomic(rec, JSON.stringify({ version: 1, name: 'direct', zip: 'direct.zip', storage: 's3', bucket: b.name, key: 'direct.zip', pod: { name: 'p', namespace: 'n', uid: 'u' } }));
  await waitFor('record handled', () => !fs.existsSync(rec));
  // The log line reaches us through a pipe, possibly after the unlink is visible.
  await waitFor('EventSkipped logged', () => a.lines.some((l) => l.event === 'EventSkipped'), 5_000);
  t.ok(a.lines.some((l) => l.event === 'EventSkipped'));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.match(metrics, /cdc_agent_dumps_uploaded_total\{kind="zip"\} 1/);
  t.match(metrics, /cdc_agent_spool_files 0/);
  t.match(metrics, /process_resident_memory_bytes/);

  a.proc.kill('SIGTERM');
  t.equal(await a.exited, 0);
  t.equal(h.read('kernel/core_pattern'), 'core', 'core_pattern restored');
  t.notOk(fs.existsSync(path.join(h.hostDir, 'cdc')));
  t.ok(a.lines.some((l) => l.event === 'ComposerRemoved'));
});

t.test('readyz says why when the bucket does not answer', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const b = await createTestBucket('agent-nb');
  await b.destroy();
  const a = startAgent(['run'], h, { ...b.env });
  t.teardown(() => a.proc.kill('SIGKILL'));
  await waitFor('health server', () => a.lines.some((l) => l.event === 'HealthServerStarted'));
  const port = a.lines.find((l) => l.event === 'HealthServerStarted')!.port;
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  t.equal(r.status, 503);
  t.match(await r.json(), { ready: false, reasons: [/HeadBucket/] });
  a.proc.kill('SIGTERM');
  await a.exited;
});

t.test('no bucket (spool only) is a valid install: Ready once core_pattern is ours', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const a = startAgent(['run'], h, {});
  t.teardown(() => a.proc.kill('SIGKILL'));
  await waitFor('health server', () => a.lines.some((l) => l.event === 'HealthServerStarted'));
  const port = a.lines.find((l) => l.event === 'HealthServerStarted')!.port;
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  t.equal(r.status, 200, JSON.stringify(await r.clone().json()));
  t.match(await r.json(), { ready: true, reasons: [] });
  a.proc.kill('SIGTERM');
  t.equal(await a.exited, 0);
});

t.test('agent SIGKILLed mid-upload and restarted: the dump arrives whole, no upload left open', async (t) => {
  const b = await createTestBucket('agent-kill');
  const h = scratchHost();
  t.teardown(async () => { h.cleanup(); await b.destroy(); });
  fs.mkdirSync(h.coreDir, { recursive: true });
  const body = randomBytes(160 * 1024 * 1024);
  fs.writeFileSync(path.join(h.coreDir, 'big.zip'), body);
  const env = { ...b.env, COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' };

  const first = startAgent(['sweep'], h, env);
  let parts = 0;
  await waitFor('some parts uploaded', async () => {
    const ups = await b.client.send(new ListMultipartUploadsCommand({ Bucket: b.name }));
    const up = ups.Uploads?.[0];
    if (!up) return false;
    const p = await b.client.send(new ListPartsCommand({ Bucket: b.name, Key: up.Key!, UploadId: up.UploadId! }));
    parts = p.Parts?.length ?? 0;
    return parts >= 2;
  }, 120_000);
  first.proc.kill('SIGKILL');
  await first.exited;
  t.ok(parts >= 2 && parts < 32, `killed after ${parts} of 32 parts`);
  t.same(await b.keys(), [], 'no object yet');
  t.ok(fs.existsSync(path.join(h.coreDir, 'big.zip')), 'the spooled zip is still there');

  const second = startAgent(['sweep'], h, env);
  t.equal(await second.exited, 0);
  t.equal(sha(await b.get('big.zip')), sha(body), 'arrived whole');
  t.notOk(fs.existsSync(path.join(h.coreDir, 'big.zip')), 'removed after S3 confirmed');
  t.equal(await b.uploadsInProgress(), 0, 'the killed run\'s multipart upload was aborted');
  t.ok(second.lines.some((l) => l.event === 'LeftoverUploadAborted'));
});
