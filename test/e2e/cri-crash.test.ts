// End to end through the kernel with a real containerd: core_pattern names the built composer, a
// pod created over CRI crashes (once as the container's PID 1, once in a child process), and the
// zip in S3 carries the right pod, namespace, container, image, labels and the container's log.
import t from 'tap';
import { createTestBucket, type TestBucket } from '../helpers/s3.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer, type InstalledComposer } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startContainerd, TOOLS_IMAGE, type TestContainerd, type TestPod } from '../helpers/containerd.ts';
import { unzipTest, zipNames, zipEntry, saveTemp } from '../helpers/zip-check.ts';

let ctd: TestContainerd;
let bucket: TestBucket;
let composer: InstalledComposer;
let pod: TestPod;

t.before(async () => {
  ctd = await startContainerd();
  bucket = await createTestBucket('cri');
  composer = installComposer({
    ...bucket.env,
    CRIO_ENDPOINT: ctd.endpoint,
    LOG_LENGTH: '20',
    // generous on a 2-core CI machine: the composer's first CRI call includes loading grpc-js
    COMP_CRI_TIMEOUT_MS: '5000',
    COMP_FILENAME_TEMPLATE: '{uuid}-dump-{timestamp}-{namespace}-{podname}-{container}-{exe_name}-{pid}-{signal}',
  });
  pod = await ctd.runPod({ name: 'crashy', namespace: 'e2e', labels: { app: 'crashy', team: 'core' }, annotations: { 'example.com/owner': 'sre' } });
});
t.teardown(async () => {
  await pod?.remove().catch(() => {});
  await ctd?.stop();
  composer?.remove();
  await bucket?.destroy();
});

/** Runs a crashing container and returns the zip it produced, opened. */
async function crashAndFetch(name: string, command: string[], args: string[]) {
  const before = new Set(await bucket.keys());
  const c = await pod.startContainer({ name, command, args });
  const status = await c.waitExited(30_000);
  const key = await waitFor(`the zip for ${name}`, async () => (await bucket.keys()).find((k) => !before.has(k)), 30_000)
    .catch((e: Error) => { throw new Error(`${e.message} (exit ${status.exit_code}); composer log: ${JSON.stringify(composer.log().slice(-6))}`); });
  const zip = saveTemp(await bucket.get(key));
  const base = key.replace(/\.zip$/, '');
  const names = zipNames(zip);
  const read = (suffix: string) => zipEntry(zip, `${base}${suffix}`).toString('utf8');
  const ps = JSON.parse(read('-ps-info.json')) as { containers: { id: string; metadata: { name: string } }[] };
  const n = ps.containers.findIndex((x) => x.id === c.id);
  return { c, status, key, zip, base, names, read, n, ps };
}

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]; // a subtest (the last overload takes only the callback)

async function checkCommon(t: Sub, r: Awaited<ReturnType<typeof crashAndFetch>>, container: string) {
  t.match(unzipTest(r.zip), /No errors detected/);
  t.match(r.key, new RegExp(`-dump-\\d+-e2e-crashy-${container}-crasher-\\d+-11\\.zip$`), 'template fields {namespace} {podname} {container}');
  const info = JSON.parse(r.read('-dump-info.json'));
  t.match(info, { signal: '11', exe: 'crasher', host_crash: false, container_id: r.c.id, container, image: TOOLS_IMAGE, pod: 'crashy', namespace: 'e2e', pod_uid: pod.uid });
  t.match(info.image_ref, /^sha256:/);
  t.same(info.problems.filter((p: string) => p.startsWith('CDC_CRI')), [], 'no CRI errors');
  const podInfo = JSON.parse(r.read('-pod-info.json'));
  t.match(podInfo.status, { id: pod.id, metadata: { name: 'crashy', namespace: 'e2e', uid: pod.uid }, labels: { app: 'crashy', team: 'core' }, annotations: { 'example.com/owner': 'sre' } });
  const runtimeInfo = JSON.parse(r.read('-runtime-info.json'));
  t.equal(runtimeInfo.status.id, r.c.id);
  t.equal(runtimeInfo.status.metadata.name, container);
  t.ok(r.n >= 0, `crashed container is entry ${r.n} of ps-info`);
  t.ok(r.names.includes(`${r.base}-${r.n}.log`));
  const img = JSON.parse(r.read(`-${r.n}-image-info.json`));
  t.ok(img.image.repo_tags.includes(TOOLS_IMAGE));
  t.ok(r.names.includes(`${r.base}.core`), 'the core itself');
  // how long the crashed process waited for /proc + CRI metadata (composer start -> lookups done)
  const collected = composer.log().filter((l) => l.event === 'MetadataCollected').at(-1);
  t.comment(`composer: metadata collected ${String(collected?.ms)} ms after start, core drained at ${String(info.stdin_drained_ms)} ms`);
}

t.test('crash as the container PID 1', async (t) => {
  await withCorePattern(composer.pattern, async () => {
    const r = await crashAndFetch('pid1', ['/bin/crasher'], ['1']);
    t.equal(r.status.exit_code, 139, 'the container died of SIGSEGV');
    await checkCommon(t, r, 'pid1');
    t.match(r.read(`-${r.n}.log`), /^crasher pid=1$/m, 'the container log, printed by PID 1');
  });
});

t.test('crash in a child process of the container', async (t) => {
  await withCorePattern(composer.pattern, async () => {
    const r = await crashAndFetch('child', ['/bin/sh', '-c'], ['echo child-hello-1; echo child-hello-2; /bin/crasher 1; echo shell-survived']);
    await checkCommon(t, r, 'child');
    const log = r.read(`-${r.n}.log`);
    t.match(log, /child-hello-1\nchild-hello-2\ncrasher pid=\d+\n/, 'the container log lines before the crash');
    t.notMatch(log, /crasher pid=1\n/, 'the crasher was not PID 1');
    t.equal(r.ps.containers.length, 2, 'ps-info lists both containers of the pod');
    t.ok(r.names.some((n) => n.endsWith(`-${1 - r.n}.log`)), 'and the other container\'s log is there too');
  });
});

t.test('time a crashed process is held, over 10 crashes in containers', async (t) => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  await withCorePattern(composer.pattern, async () => {
    for (let i = 0; i < 10; i++) {
      const before = (await bucket.keys()).length;
      const c = await pod.startContainer({ name: `burst${i}`, command: ['/bin/crasher'], args: ['0'] });
      await c.waitExited(30_000);
      await waitFor(`zip ${i}`, async () => ((await bucket.keys()).length > before ? true : undefined), 30_000);
      await c.remove();
    }
  });
  const events = composer.log();
  const metaMs = events.filter((l) => l.event === 'MetadataCollected').slice(-10).map((l) => Number(l.ms));
  const heldMs = events.filter((l) => l.event === 'CoreDrained').slice(-10).map((l) => Number(l.heldMs));
  const rssMiB = events.filter((l) => l.event === 'DumpFinished').slice(-10).map((l) => Math.round(Number(l.maxRssKiB) / 1024));
  t.equal(metaMs.length, 10);
  t.ok(events.filter((l) => l.event === 'MetadataCollected').slice(-10).every((l) => typeof l.pod === 'string' && l.pod === 'crashy'), 'every crash attributed to the pod');
  t.comment(`10 crashes: metadata (proc + CRI) done at median ${median(metaMs)} ms after composer start (max ${Math.max(...metaMs)}); core drained (process released) at median ${median(heldMs)} ms (max ${Math.max(...heldMs)}); composer peak RSS median ${median(rssMiB)} MiB (max ${Math.max(...rssMiB)}); times from the composer's process start`);
});

t.test('a crash loop in one container: triaged, rate-limited after COMP_RATE_LIMIT, listed by cdh with its pod', async (t) => {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const { jsonLines, runCdh } = await import('../helpers/cdh.ts');
  const before = new Set(await bucket.keys());
  await withCorePattern(composer.pattern, async () => {
    // 20 crashes of child processes of one container, one after another (the default limit: 3/1h).
    const c = await pod.startContainer({ name: 'loop', command: ['/bin/sh', '-c'], args: ['i=0; while [ $i -lt 20 ]; do /bin/crasher 0; i=$((i+1)); done'] });
    await c.waitExited(120_000);
    await waitFor('20 zips', async () => ((await bucket.keys()).filter((k) => !before.has(k) && k.includes('-loop-')).length >= 20 ? true : undefined), 120_000);
  });
  const keys = (await bucket.keys()).filter((k) => !before.has(k) && k.includes('-loop-'));
  t.equal(keys.length, 20, 'every crash counted and stored');
  const full: string[] = [];
  const fingerprints = new Set<string>();
  for (const key of keys) {
    const zip = saveTemp(await bucket.get(key));
    const base = key.replace(/\.zip$/, '');
    const names = zipNames(zip);
    t.match(unzipTest(zip), /No errors detected/);
    const crash = JSON.parse(zipEntry(zip, `${base}-crash.json`).toString());
    fingerprints.add(crash.fingerprint);
    t.match(crash.signal, { name: 'SIGSEGV', code_name: 'SEGV_MAPERR' });
    if (names.includes(`${base}.core`)) full.push(key);
    const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }));
    t.match(head.Metadata, { namespace: 'e2e', pod: 'crashy', container: 'loop', signal: /11|SIGSEGV/ }, 'S3 object metadata names the pod');
  }
  t.equal(full.length, 3, 'the first 3 are full dumps, the other 17 hold no core');
  t.equal(fingerprints.size, 1, 'one crash site, one fingerprint');
  const listed = jsonLines(await runCdh(['list', '--json', '--pod', 'crashy', '--container', 'loop'], bucket.env));
  t.equal(listed.length, 20, 'cdh list --pod --container finds all 20');
  t.match(listed[0], { namespace: 'e2e', pod: 'crashy', container: 'loop', image: TOOLS_IMAGE });
  const groups = jsonLines(await runCdh(['groups', '--json', '--pod', 'crashy', '--container', 'loop'], bucket.env));
  t.match(groups, [{ fingerprint: [...fingerprints][0], count: 20 }], 'cdh groups: one group of 20');
  // show and get on a container dump: its pod, its log, and the core itself.
  const { execFileSync, spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const id = full[0]!.split('-').slice(0, 5).join('-');
  const shown = await runCdh(['show', id], bucket.env);
  t.equal(shown.status, 0, shown.stderr);
  t.match(shown.stdout, /pod: crashy[\s\S]*container: loop[\s\S]*crasher pid=\d+/, 'show: the pod, the container and its last log lines');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdh-cri-get-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const got = await runCdh(['get', id, '-o', dir], bucket.env);
  t.equal(got.status, 0, got.stderr);
  const base = full[0]!.replace(/\.zip$/, '');
  const fromZip = path.join(dir, 'from-zip.core');
  fs.writeFileSync(fromZip, zipEntry(saveTemp(await bucket.get(full[0]!)), `${base}.core`));
  t.equal(spawnSync('cmp', [path.join(dir, `${base}.core`), fromZip]).status, 0, 'get: the core as the kernel gave it');
  t.match(execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', '-c', path.join(dir, `${base}.core`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /#0 /, 'gdb reads it');
});
