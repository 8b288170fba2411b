// The built composer run as the kernel runs it (empty env, cwd /, no stdout), fed a core on stdin:
// each sink, each codec, RLIMIT_CORE, hostile input, a bad .env, an unwritable directory, COMP_TIMEOUT.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createTestBucket } from '../helpers/s3.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { runComposer, mixedData } from '../helpers/run-composer.ts';
import { unzipTest, zipNames, zipEntry, saveTemp } from '../helpers/zip-check.ts';
import { spoolListing } from '../helpers/spool-listing.ts';

const ARGS = ['-c=18446744073709551615', '-e=myapp', '-p=1', '-s=11', '-t=1700000000', '-h=node-a', '-P=999999999'];
const core = Buffer.concat([Buffer.alloc(3 << 20, 7), Buffer.from('the end of the core')]);

for (const codec of ['deflate', 'store', 'zstd'] as const) {
  t.test(`direct to S3 with ${codec}`, async (t) => {
    const b = await createTestBucket(`proc-${codec}`);
    t.teardown(() => b.destroy());
    const c = installComposer({ ...b.env, COMP_CODEC: codec });
    t.teardown(() => c.remove());
    const r = await runComposer(c.launcher, ARGS, core);
    t.equal(r.code, 0);
    const keys = await b.keys();
    t.equal(keys.length, 1);
    const zip = saveTemp(await b.get(keys[0]!));
    t.match(unzipTest(zip), /No errors detected/);
    const base = keys[0]!.replace(/\.zip$/, '');
    const coreEntry = codec === 'zstd' ? `${base}.core.zst` : `${base}.core`;
    t.same(zipNames(zip).sort(), [coreEntry, `${base}-crash.json`, `${base}-dump-info.json`].sort(), "core, crash triage, dump-info");
    if (codec !== 'zstd') t.ok(zipEntry(zip, coreEntry).equals(core), 'core round-trips');
    const info = JSON.parse(zipEntry(zip, `${base}-dump-info.json`).toString());
    t.equal(info.codec, codec);
    t.equal(info.core_bytes, core.length);
    t.equal(info.exe, 'myapp');
    t.same(spoolListing(c.coreDir), []);
    const events = fs.readdirSync(c.eventDir);
    t.equal(events.length, 1, 'a record for the agent');
    t.equal(JSON.parse(fs.readFileSync(`${c.eventDir}/${events[0]}`, 'utf8')).storage, 's3');
  });
}

t.test('no S3 configured: a complete zip in the core directory', async (t) => {
  const c = installComposer({});
  t.teardown(() => c.remove());
  t.equal((await runComposer(c.launcher, ARGS, core)).code, 0);
  const files = spoolListing(c.coreDir);
  t.equal(files.length, 1);
  t.match(files[0], /\.zip$/);
  t.match(unzipTest(`${c.coreDir}/${files[0]}`), /No errors detected/);
  t.equal(fs.statSync(`${c.coreDir}/${files[0]}`).mode & 0o077, 0, 'spooled zip is private');
});

t.test('hostile exe names, hostname and garbled flags still give a dump, inside the core directory', async (t) => {
  const c = installComposer({ COMP_FILENAME_TEMPLATE: '{exe_name}/{hostname}/{pathname}-{uuid}' });
  t.teardown(() => c.remove());
  const evil = ['-e=../../../../tmp/evil\nname\u0001\u007f\u00ff\u2603', `-h=${'h/'.repeat(2048)}`, '-E=!..!..!etc!passwd', '-p=notanumber', '-s=', 'stray', '-P'];
  t.equal((await runComposer(c.launcher, evil, core)).code, 0);
  const files = spoolListing(c.coreDir);
  t.equal(files.length, 1);
  t.notMatch(files[0], /\//);
  t.ok(files[0]!.length < 200);
  t.match(unzipTest(`${c.coreDir}/${files[0]}`), /No errors detected/);
  t.notOk(fs.existsSync('/tmp/evil'), 'nothing written outside');
  t.ok(c.log().some((l) => l.event === 'ConfigProblem'), 'the odd arguments are logged');
});

t.test('a bad .env line and bad values are logged; the dump goes through', async (t) => {
  const c = installComposer({ COMP_TIMEOUT: 'never', COMP_CODEC: 'brotli' });
  t.teardown(() => c.remove());
  fs.appendFileSync(`${c.dir}/.env`, 'this line is broken\n');
  t.equal((await runComposer(c.launcher, ARGS, core)).code, 0);
  t.equal(spoolListing(c.coreDir).filter((f) => f.endsWith('.zip')).length, 1);
  const problems = c.log().filter((l) => l.event === 'ConfigProblem').map((l) => String(l.msg));
  t.ok(problems.some((p) => /CDC_ENVFILE_LINE/.test(p)));
  t.ok(problems.some((p) => /COMP_TIMEOUT/.test(p)));
  t.ok(problems.some((p) => /COMP_CODEC/.test(p)));
});

t.test('an unwritable core directory with S3 down: a clear logged error, nothing else written', async (t) => {
  const c = installComposer({ CORE_DIR: '/proc/cdc-cannot-exist', S3_ENDPOINT: 'http://127.0.0.1:9', S3_BUCKET_NAME: 'x', S3_ACCESS_KEY: 'a', S3_SECRET: 'b' });
  t.teardown(() => c.remove());
  const r = await runComposer(c.launcher, ARGS, core);
  t.equal(r.code, 1);
  const done = c.log().find((l) => l.event === 'DumpFinished');
  t.equal(done?.outcome, 'failed');
  t.match(String(done?.err), /CDC_SPOOL_FAILED|CDC_SPOOL_FULL/);
});

t.test('RLIMIT_CORE honoured: 0 skips, a small limit truncates; COMP_IGNORE_RLIMIT takes it all', async (t) => {
  const c = installComposer({});
  t.teardown(() => c.remove());
  t.equal((await runComposer(c.launcher, ['-c=0', ...ARGS.slice(1)], core)).code, 0);
  t.same(spoolListing(c.coreDir), []);
  t.equal((await runComposer(c.launcher, ['-c=4096', ...ARGS.slice(1)], core)).code, 0);
  const [zip] = spoolListing(c.coreDir);
  const info = JSON.parse(zipEntry(`${c.coreDir}/${zip}`, zip!.replace(/\.zip$/, '-dump-info.json')).toString());
  t.equal(info.core_truncated, true);
  t.equal(info.core_bytes, 4096);
  fs.rmSync(`${c.coreDir}/${zip}`);
  const c2 = installComposer({ COMP_IGNORE_RLIMIT: 'true' });
  t.teardown(() => c2.remove());
  t.equal((await runComposer(c2.launcher, ['-c=0', ...ARGS.slice(1)], core)).code, 0);
  t.equal(spoolListing(c2.coreDir).length, 1);
});

t.test('COMP_TIMEOUT finishes the dump with what was read: the core cut and marked, nothing confirmed thrown away', async (t) => {
  const { completePartialUpload } = await import('../../src/agent/uploader/complete-partial.ts');
  const b = await createTestBucket('timeout');
  t.teardown(() => b.destroy());
  for (const env of [b.env, {}]) {
    const c = installComposer({ ...env, COMP_TIMEOUT: '2' });
    t.teardown(() => c.remove());
    async function* stalls() {
      yield* mixedData(12 << 20);
      await new Promise((r) => setTimeout(r, 5000)); // the kernel stops feeding us
    }
    const r = await runComposer(c.launcher, ARGS, stalls());
    t.equal(r.code, 0, 'the dump was kept');
    t.ok(r.ms < 5000, `finished after ${Math.round(r.ms)} ms`);
    const done = c.log().find((l) => l.event === 'DumpFinished');
    t.equal(done?.code, 'CDC_TIMEOUT', 'reported with its code');
    t.notOk(spoolListing(c.coreDir).some((f) => f.endsWith('.part')), 'no half-written file');
    let zip: string;
    if (env === b.env) {
      // S3 answered, but COMP_TIMEOUT means: stop waiting on it. The unconfirmed rest is on disk.
      t.equal(done?.outcome, 'partial');
      const manifest = spoolListing(c.coreDir).find((f) => f.endsWith('.zip.upload.json'))!;
      const key = JSON.parse(fs.readFileSync(`${c.coreDir}/${manifest}`, 'utf8')).key;
      await completePartialUpload(b.client, `${c.coreDir}/${manifest}`, (await import('pino')).default({ level: 'silent' }));
      zip = saveTemp(await b.get(key));
    } else {
      t.equal(done?.outcome, 'spooled');
      zip = `${c.coreDir}/${spoolListing(c.coreDir).find((f) => f.endsWith('.zip'))}`;
    }
    t.match(unzipTest(zip), /No errors detected/, 'a valid zip, not one that looks whole by accident');
    const infoName = zipNames(zip).find((n) => n.endsWith('-dump-info.json'))!;
    const info = JSON.parse(zipEntry(zip, infoName).toString());
    t.equal(info.core_truncated, true, 'dump-info says the core was cut');
    t.equal(info.core_truncated_reason, 'timeout', 'and why');
    t.equal(info.core_bytes, 12 << 20, 'every byte read before the deadline is in the zip');
    t.equal(zipEntry(zip, infoName.replace(/-dump-info\.json$/, '.core')).length, 12 << 20);
  }
  t.equal(await b.uploadsInProgress(), 0, 'no upload left open');
});

t.test('S3 cut mid-stream: confirmed parts stay in S3, the rest is spooled with a manifest; completing it loses nothing', async (t) => {
  const { startTcpProxy } = await import('../helpers/tcp-proxy.ts');
  const { completePartialUpload } = await import('../../src/agent/uploader/complete-partial.ts');
  const { createHash } = await import('node:crypto');
  const b = await createTestBucket('midstream');
  t.teardown(() => b.destroy());
  const proxy = await startTcpProxy(Number(new URL(b.env.S3_ENDPOINT!).port));
  t.teardown(() => proxy.close());
  // store codec: the zip is about as large as the core, so the cut lands well inside it.
  const c = installComposer({ ...b.env, S3_ENDPOINT: proxy.endpoint, COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '2' });
  t.teardown(() => c.remove());
  const big = Buffer.concat(Array.from({ length: 48 }, (_, i) => Buffer.alloc(1 << 20, i)));
  proxy.cutAfter(18 << 20); // S3 dies after ~3 parts
  const r = await runComposer(c.launcher, ARGS, big);
  t.equal(r.code, 0, 'the composer still finished the dump');
  const files = spoolListing(c.coreDir);
  t.equal(files.length, 2, files.join(', '));
  const manifestFile = files.find((f) => f.endsWith('.zip.upload.json'))!;
  const restFile = files.find((f) => f.endsWith('.zip.rest'))!;
  t.ok(manifestFile && restFile, 'a rest file and its manifest');
  const manifest = JSON.parse(fs.readFileSync(`${c.coreDir}/${manifestFile}`, 'utf8'));
  t.ok(manifest.parts.length >= 1, `${manifest.parts.length} parts confirmed before the cut`);
  t.ok(fs.statSync(`${c.coreDir}/${restFile}`).size < big.length, 'the core did not have to be whole on disk');
  t.equal(c.log().find((l) => l.event === 'DumpFinished')?.outcome, 'partial');
  // What the agent does later, with S3 back.
  await completePartialUpload(b.client, `${c.coreDir}/${manifestFile}`, (await import('pino')).default({ level: 'silent' }));
  t.same(spoolListing(c.coreDir), [], 'rest and manifest removed after completion');
  const zip = saveTemp(await b.get(manifest.key));
  t.match(unzipTest(zip), /No errors detected/);
  const core = zipEntry(zip, manifest.key.replace(/\.zip$/, '.core'));
  t.equal(createHash('sha256').update(core).digest('hex'), createHash('sha256').update(big).digest('hex'), 'the core arrived whole');
});

t.test('core event files (COMP_CORE_EVENTS) carry the original fields', async (t) => {
  const c = installComposer({ COMP_CORE_EVENTS: 'true', COMP_CORE_EVENT_DIR: '' });
  t.teardown(() => c.remove());
  const eventDir = `${c.dir}/core-events`;
  fs.appendFileSync(`${c.dir}/.env`, `COMP_CORE_EVENT_DIR="${eventDir}"\n`);
  t.equal((await runComposer(c.launcher, ARGS, core)).code, 0);
  const files = fs.readdirSync(eventDir);
  t.equal(files.length, 1);
  t.match(files[0], /^[0-9a-f-]{36}-event\.json$/);
  const event = JSON.parse(fs.readFileSync(`${eventDir}/${files[0]}`, 'utf8'));
  const [zip] = spoolListing(c.coreDir);
  t.equal(event.key, zip);
  t.equal(event.exe_name, 'myapp');
  t.equal(event.signal, '11');
  t.equal(event.uuid, files[0]!.replace(/-event\.json$/, ''));
  t.same(event.image_list, []);
});

t.test('a core on a real pipe (as the kernel gives it): the pipe is widened to 1 MiB, the core stored whole', async (t) => {
  const b = await createTestBucket('proc-pipe');
  t.teardown(() => b.destroy());
  const c = installComposer({ ...b.env, COMP_CODEC: 'store' });
  t.teardown(() => c.remove());
  const file = saveTemp(core);
  execFileSync('sh', ['-c', 'cat "$0" | env -i "$@"', file, c.launcher, ...ARGS], { stdio: 'ignore' });
  t.equal(c.log().find((l) => l.event === 'CoreDrained')?.pipeBytes, 1 << 20, 'CoreDrained says the pipe held 1 MiB');
  const keys = await b.keys();
  t.equal(keys.length, 1);
  const zip = saveTemp(await b.get(keys[0]!));
  t.match(unzipTest(zip), /No errors detected/);
  t.ok(zipEntry(zip, keys[0]!.replace(/\.zip$/, '.core')).equals(core), 'core round-trips');
});
