// lookupCrash against a real containerd (CRI plugin) with real pods: the pod, container, image,
// labels and log lines found from a process's /proc/<pid>/cgroup, for PID 1 and for a child.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { lookupCrash, type CriSettings } from '../../src/cri/index.ts';
import { metadataEntries, podSelected } from '../../src/composer/entries.ts';
import { stdoutLogger } from '../../src/shared/log.ts';
import { startContainerd, waitForLog, TOOLS_IMAGE, type TestContainerd } from '../helpers/containerd.ts';

const log = stdoutLogger('silent', 'test');
let ctd: TestContainerd;

const settings = (s: Partial<CriSettings> = {}): CriSettings =>
  ({ endpoint: ctd.endpoint, callTimeoutMs: 2000, skipRuntime: false, keepEnvValues: false, logLines: 5, ...s });
/** The zip entries the composer makes of the facts, by suffix (dump name 'd'). */
const names = (m: Parameters<typeof metadataEntries>[1]) => metadataEntries('d', m).map((e) => e.name.slice(1));
const childOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);

t.before(async () => {
  ctd = await startContainerd();
});
t.teardown(() => ctd?.stop());

t.test('a pod with two containers', async (t) => {
  const pod = await ctd.runPod({ name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'hi' } });
  t.teardown(() => pod.remove());
  const main = await pod.startContainer({
    name: 'main', command: ['/bin/sh', '-c'],
    args: ['i=1; while [ $i -le 8 ]; do echo line-$i; i=$((i+1)); done; exec sleep 3600'],
  });
  // sh stays PID 1 with sleep as its child: the "crash in a child process" case
  const side = await pod.startContainer({ name: 'side', command: ['/bin/sh', '-c'], args: ['echo side-hello; sleep 3600 & wait'] });
  await waitForLog(main.logPath, 'line-8');
  await waitForLog(side.logPath, 'side-hello');
  const mainPid = await main.pid();

  await t.test('crash as the container PID 1', async (t) => {
    const m = await lookupCrash({ cgroup: fs.readFileSync(`/proc/${mainPid}/cgroup`, 'utf8'), settings: settings(), log, deadlineMs: 5000 });
    t.same(m.problems, []);
    t.equal(m.hostCrash, false);
    t.equal(m.containerId, main.id);
    t.equal(m.container, 'main');
    t.equal(m.image, TOOLS_IMAGE);
    t.match(m.imageRef, /^sha256:[0-9a-f]{64}$/);
    t.match(m.pod, { name: 'web', namespace: 'shop', uid: pod.uid, labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'hi' } });
    t.equal(m.podLabelsKnown, true);
    t.equal(podSelected(m, ''), true);
    t.same(names(m),
      ['-pod-info.json', '-runtime-info.json', '-ps-info.json', '-0.log', '-0-image-info.json', '-1.log', '-1-image-info.json']);
    t.equal(m.containers.length, 2);
    t.equal(m.containers[0]?.log?.toString('utf8'), 'line-4\nline-5\nline-6\nline-7\nline-8\n', 'last LOG_LENGTH messages, CRI prefix stripped');
    t.equal(m.containers[1]?.log?.toString('utf8'), 'side-hello\n');
    // The facts are the JSON documents: what the composer stores is their JSON text.
    const podInfo = m.podStatus as any;
    t.equal(podInfo.status.id, pod.id);
    t.equal(podInfo.status.metadata.name, 'web');
    const runtimeInfo = m.runtimeStatus as any;
    t.equal(runtimeInfo.status.id, main.id);
    t.equal(runtimeInfo.info.info.sandboxID, pod.id, 'verbose info parsed to JSON');
    const ps = m.podContainers as any;
    t.same(ps.containers.map((c: { metadata: { name: string } }) => c.metadata.name), ['main', 'side']);
    const img = m.containers[0]?.image as any;
    t.ok(img.image.repo_tags.includes(TOOLS_IMAGE));
    t.same(JSON.parse(metadataEntries('d', m).find((e) => e.name === 'd-0-image-info.json')!.data.toString('utf8')), img, 'stored as its JSON');
  });

  await t.test('crash in a child process of the container', async (t) => {
    const sidePid = await side.pid();
    const child = childOf(sidePid);
    t.ok(child > 0 && child !== sidePid, 'sleep runs as a child of sh');
    const m = await lookupCrash({ cgroup: fs.readFileSync(`/proc/${child}/cgroup`, 'utf8'), settings: settings(), log, deadlineMs: 5000 });
    t.same(m.problems, []);
    t.equal(m.containerId, side.id);
    t.equal(m.container, 'side');
    t.equal(m.pod?.name, 'web');
  });

  await t.test('COMP_POD_SELECTOR_LABEL, decided by the composer on the pod labels found', async (t) => {
    const m = await lookupCrash({ cgroup: fs.readFileSync(`/proc/${mainPid}/cgroup`, 'utf8'), settings: settings(), log, deadlineMs: 5000 });
    t.equal(m.podLabelsKnown, true);
    t.equal(podSelected(m, 'app'), true);
    t.equal(podSelected(m, 'core-dump'), false);
  });

  await t.test('COMP_IGNORE_CRIO: only the container id, no CRI calls', async (t) => {
    const m = await lookupCrash({ cgroup: fs.readFileSync(`/proc/${mainPid}/cgroup`, 'utf8'), settings: settings({ skipRuntime: true, endpoint: '/nonexistent.sock' }), log, deadlineMs: 5000 });
    t.same(m, { hostCrash: false, containerId: main.id, podLabelsKnown: false, containers: [], problems: [] });
    t.equal(metadataEntries('d', m).length, 0);
    t.equal(podSelected(m, 'core-dump'), true);
  });

  await t.test('a container removed between crash and lookup: the pod is still found by its uid', async (t) => {
    const gone = await pod.startContainer({ name: 'gone', command: ['/bin/sh', '-c'], args: ['echo bye; exec sleep 3600'] });
    const cgroup = fs.readFileSync(`/proc/${await gone.pid()}/cgroup`, 'utf8');
    await gone.remove();
    const t0 = Date.now();
    const m = await lookupCrash({ cgroup, settings: settings(), log, deadlineMs: 5000 });
    t.ok(Date.now() - t0 < 5000);
    t.equal(m.containerId, gone.id);
    t.equal(m.container, undefined);
    t.match(m.problems[0], { code: 'CDC_CRI_FAILED', detail: /^ContainerStatus: .*NOT_FOUND/ });
    t.match(m.pod, { name: 'web', namespace: 'shop', uid: pod.uid, labels: { app: 'web' } });
    t.equal(m.runtimeStatus, undefined);
    t.same(names(m).slice(0, 2), ['-pod-info.json', '-ps-info.json']);
    t.equal(podSelected(m, ''), true);
    t.equal(podSelected(m, 'app'), true);
  });

  await t.test('time taken (median of 12 warm lookups)', async (t) => {
    const cgroup = fs.readFileSync(`/proc/${mainPid}/cgroup`, 'utf8');
    const ms: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t0 = process.hrtime.bigint();
      const m = await lookupCrash({ cgroup, settings: settings(), log, deadlineMs: 5000 });
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t.same(m.problems, []);
    }
    ms.sort((a, b) => a - b);
    t.comment(`lookupCrash against containerd: median ${ms[6]!.toFixed(1)} ms, min ${ms[0]!.toFixed(1)}, max ${ms.at(-1)!.toFixed(1)} (in-process, client and grpc-js already loaded)`);
  });

  await t.test('cold cost in a fresh process, from an esbuild bundle like dist/cdc.cjs', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-cri-cold-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    await build({ entryPoints: ['src/cri/index.ts'], outfile: `${dir}/cri.cjs`, bundle: true, platform: 'node', format: 'cjs', target: 'node24', minify: true, keepNames: true, logLevel: 'warning' });
    const probe = `${dir}/probe.cjs`;
    fs.writeFileSync(probe, `
      const t0 = performance.now();
      const { lookupCrash } = require('./cri.cjs');
      const t1 = performance.now();
      const [settings, cgroup] = [JSON.parse(process.argv[2]), process.argv[3]];
      const log = { warn() {}, debug() {} };
      lookupCrash({ cgroup, settings, log, deadlineMs: 5000 }).then(async (m) => {
        const t2 = performance.now();
        await lookupCrash({ cgroup, settings, log, deadlineMs: 5000 });
        const t3 = performance.now();
        console.log(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, secondMs: t3 - t2, rssMiB: process.memoryUsage().rss / 1048576, problems: m.problems, pod: m.pod && m.pod.name }));
      });`);
    const cgroup = fs.readFileSync(`/proc/${mainPid}/cgroup`, 'utf8');
    const runs = Array.from({ length: 7 }, () => JSON.parse(execFileSync(process.execPath, [probe, JSON.stringify(settings()), cgroup], { encoding: 'utf8' })));
    for (const r of runs) t.same([r.problems, r.pod], [[], 'web']);
    const med = (k: string) => runs.map((r) => r[k] as number).sort((a, b) => a - b)[3]!.toFixed(1);
    t.comment(`cold process (median of 7): require(bundle) ${med('importMs')} ms, first lookupCrash (loads grpc-js, connects) ${med('firstMs')} ms, second ${med('secondMs')} ms, RSS after ${med('rssMiB')} MiB`);
  });
});
