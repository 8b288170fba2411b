// The real thing: core_pattern names the built composer, a real program crashes, the kernel pipes
// its core, and a zip lands in the real S3 server. core_pattern is restored on every exit path.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createTestBucket } from '../helpers/s3.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { buildCrasher } from '../helpers/crasher.ts';
import { unzipTest, zipNames, zipEntry, saveTemp, backtrace } from '../helpers/zip-check.ts';
import { spoolListing } from '../helpers/spool-listing.ts';

/** Runs program with RLIMIT_CORE set; returns the signal that ended it. */
function crash(program: string, args: string[], rlimit = 'unlimited'): string | null {
  return spawnSync('bash', ['-c', `ulimit -c ${rlimit}; exec "$0" "$@"`, program, ...args], { encoding: 'utf8' }).signal;
}

t.test('a real crash ends up as a valid zip in S3, with a usable core', async (t) => {
  const bucket = await createTestBucket('kernel');
  t.teardown(() => bucket.destroy());
  const c = installComposer(bucket.env);
  t.teardown(() => c.remove());
  const program = buildCrasher();

  await withCorePattern(c.pattern, async () => {
    t.equal(crash(program, ['1']), 'SIGSEGV');
    const keys = await waitFor('the zip in the bucket', async () => {
      const k = await bucket.keys();
      return k.length ? k : undefined;
    });
    t.equal(keys.length, 1);
    t.match(keys[0], /^[0-9a-f-]{36}-dump-\d+-[^-]+-crasher-\d+-11\.zip$/);
    const zip = saveTemp(await bucket.get(keys[0]!));
    t.match(unzipTest(zip), /No errors detected/);
    const names = zipNames(zip);
    const base = keys[0]!.replace(/\.zip$/, '');
    t.ok(names.includes(`${base}.core`), 'core entry named as the Rust original');
    t.ok(names.includes(`${base}-dump-info.json`), 'dump-info entry named as the Rust original');
    const info = JSON.parse(zipEntry(zip, `${base}-dump-info.json`).toString());
    t.equal(info.signal, '11');
    t.equal(info.exe, 'crasher');
    t.equal(info.core_truncated, false);
    t.ok(info.core_bytes > 1024 * 1024, `core has ${info.core_bytes} bytes`);
    t.equal(typeof info.global_pid, 'number');
    t.equal(info.proc_verified === 'pidfd' || info.proc_verified === 'starttime', true, `proc verified by ${info.proc_verified}`);
    t.match(backtrace(zip, program), /crash_here[\s\S]*do_work[\s\S]*main/, 'gdb names the crashing frames');
    t.same(spoolListing(c.coreDir), [], 'nothing spooled in direct mode');
    t.equal(await bucket.uploadsInProgress(), 0, 'no multipart upload left open');
  });
});

t.test('RLIMIT_CORE 0 means no dump; a small limit truncates and says so', async (t) => {
  const bucket = await createTestBucket('rlimit');
  t.teardown(() => bucket.destroy());
  const c = installComposer(bucket.env);
  t.teardown(() => c.remove());
  const program = buildCrasher();

  await withCorePattern(c.pattern, async () => {
    crash(program, ['0'], '0');
    // The composer logs its decision; wait for the second crash's result instead of sleeping blindly.
    await waitFor('the skip to be logged', () => c.log().find((l) => l.event === 'DumpSkipped'));
    t.same(await bucket.keys(), [], 'no object for RLIMIT_CORE 0');

    crash(program, ['8'], '1024'); // bash's ulimit -c counts 1 KiB blocks: 1 MiB
    const keys = await waitFor('the truncated zip', async () => ((await bucket.keys()).length ? bucket.keys() : undefined));
    const zip = saveTemp(await bucket.get(keys[0]!));
    t.match(unzipTest(zip), /No errors detected/);
    const info = JSON.parse(zipEntry(zip, keys[0]!.replace(/\.zip$/, '-dump-info.json')).toString());
    t.equal(info.core_truncated, true);
    t.equal(info.core_bytes, 1024 * 1024);
    t.equal(info.rlimit_core, 1024 * 1024);
  });
});

t.test('S3 down: the dump is spooled as a complete zip for the agent', async (t) => {
  const c = installComposer({ S3_ENDPOINT: 'http://127.0.0.1:9', S3_BUCKET_NAME: 'nowhere', S3_ACCESS_KEY: 'k', S3_SECRET: 's' });
  t.teardown(() => c.remove());
  const program = buildCrasher();
  await withCorePattern(c.pattern, async () => {
    crash(program, ['1']);
    const zipName = await waitFor('a spooled zip', () => spoolListing(c.coreDir).find((f) => f.endsWith('.zip')));
    t.match(unzipTest(`${c.coreDir}/${zipName}`), /No errors detected/);
    t.same(spoolListing(c.coreDir).filter((f) => f.endsWith('.part')), [], 'no .part left');
    t.match(backtrace(`${c.coreDir}/${zipName}`, program), /crash_here/);
  });
});
