// The product run the way a platform team runs it, on this machine as the node: the amd64 image
// built by `npm run image`, the chart rendered by the seed README's literal install command (its
// four --set values pointed at the tests' S3, plus the node's CRI socket), the DaemonSet's pod run
// through CRI by the node harness, a stand-in API server for the service account. Then:
// install -> Ready -> a pod crashes -> zip in S3 with pod metadata, Event posted -> rolling restart
// with a crash in between, captured -> uninstall -> the host's kernel settings restored.
// The whole run holds the core_pattern lock (withCorePattern): the agent itself sets the pattern.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { render, valuesFiles } from '../../chart/render.ts';
import { agentPod } from '../../helpers/rendered-pod.ts';
import { ensureImage } from '../../helpers/image.ts';
import { startContainerd, TOOLS_IMAGE, type TestContainerd, type TestPod } from '../../helpers/containerd.ts';
import { startApiServer, type ApiServer } from '../../helpers/api-server.ts';
import { importImage, runChartPod, type ChartPod } from '../../helpers/node-harness.ts';
import { readCorePattern, withCorePattern } from '../../helpers/core-pattern.ts';
import { createTestBucket, S3_ACCESS_KEY, S3_SECRET, testS3Endpoint, type TestBucket } from '../../helpers/s3.ts';
import { unzipTest, zipEntry, saveTemp } from '../../helpers/zip-check.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const SYSCTL = { pattern: '/proc/sys/kernel/core_pattern', pipeLimit: '/proc/sys/kernel/core_pipe_limit', suid: '/proc/sys/fs/suid_dumpable' };
const readSys = (f: string) => fs.readFileSync(f, 'utf8').trim();
const NODE = 'node-1';

let ctd: TestContainerd;
let api: ApiServer;
let bucket: TestBucket;
let crashPod: TestPod | undefined;
const figures: string[] = [];

/** The seed README's install command, as `helm template` renders it, for this node's S3 and CRI. */
function seedInstall(b: TestBucket, criEndpoint: string, valuesFilesToo: string[] = [], ourS3 = valuesFilesToo.length > 0) {
  return render(valuesFilesToo, [
    `daemonset.s3AccessKey=${S3_ACCESS_KEY}`, `daemonset.s3Secret=${S3_SECRET}`,
    `daemonset.s3BucketName=${b.name}`, `daemonset.s3Region=${testS3Endpoint()}`, // the original chart took a host here
    `daemonset.crioEndpoint=${criEndpoint}`, // this node's containerd
    ...(ourS3 ? [`daemonset.s3Endpoint=${testS3Endpoint()}`] : []),
  ], 'core-dump-handler');
}

t.before(async () => {
  ensureImage('amd64');
  ctd = await startContainerd();
  bucket = await createTestBucket('node');
  api = await startApiServer(path.join(ctd.dir, 'sa'), { namespace: 'observe' });
});
t.teardown(async () => {
  await crashPod?.remove().catch(() => {});
  await api?.close();
  await ctd?.stop();
  await bucket?.destroy();
});

/** A crash in another pod (the tests' crasher image: a null-pointer write); returns its zip key. */
async function crashInPod(name: string): Promise<{ key: string; ms: number; containerId: string; name: string }> {
  crashPod ??= await ctd.runPod({ name: 'segfaulter', namespace: 'default', labels: { app: 'segfaulter' } });
  const before = new Set(await bucket.keys());
  const c = await crashPod.startContainer({ name, command: ['/bin/crasher'], args: ['0'] });
  const t0 = Date.now();
  const st = await c.waitExited(30_000);
  if (st.exit_code !== 139) throw new Error(`${name} exited ${st.exit_code}, not SIGSEGV`);
  const key = await waitFor(`the zip of ${name} in S3`, async () => (await bucket.keys()).find((k) => !before.has(k) && k.endsWith('.zip')), 60_000);
  return { key, ms: Date.now() - t0, containerId: c.id, name };
}

type Sub = Parameters<Parameters<typeof t.test>[0]>[0];

async function checkZip(t: Sub, key: string, container: string, containerId: string) {
  const zip = saveTemp(await bucket.get(key));
  t.match(unzipTest(zip), /No errors detected/, 'unzip -t');
  const info = JSON.parse(zipEntry(zip, key.replace(/\.zip$/, '-dump-info.json')).toString()) as Record<string, unknown>;
  t.match(info, { pod: 'segfaulter', namespace: 'default', container, container_id: containerId, image: TOOLS_IMAGE, signal: '11', exe: 'crasher', host_crash: false });
}

/** Removes, after the test, the topmost directory of each path that did not exist before it. */
function cleanupCreated(t: Sub, paths: string[]): void {
  const created = new Set<string>();
  for (const p of paths) {
    let top: string | undefined;
    for (let d = path.resolve(p); !fs.existsSync(d); d = path.dirname(d)) top = d;
    if (top) created.add(top);
  }
  t.teardown(() => { for (const d of created) fs.rmSync(d, { recursive: true, force: true }); });
}

function eventsFor(container: string) {
  return api.seen.filter((s) => s.method === 'POST' && s.body?.involvedObject?.name === 'segfaulter' && String(s.body?.message).includes(container));
}

t.test('install -> Ready -> crash -> S3 + Event -> rolling restart with a crash -> uninstall restores', async (t) => {
  const original = { pattern: readCorePattern(), pipeLimit: readSys(SYSCTL.pipeLimit), suid: readSys(SYSCTL.suid) };
  const objects = seedInstall(bucket, ctd.endpoint);
  const { agent, pod } = agentPod(objects);
  const hostDir = pod.volumes.find((v) => v.name === 'host-dir')?.hostPath?.path ?? '';
  t.equal(hostDir, '/var/mnt/core-dump-handler', 'the default host directory');
  cleanupCreated(t, pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : [])));
  t.teardown(() => fs.writeFileSync(SYSCTL.suid, original.suid)); // withCorePattern restores the other two
  importImage(ctd, ensureImage('amd64'), agent.image);

  await withCorePattern(original.pattern, async () => {
    // 1. Install: the agent's own pod installs the composer and sets core_pattern.
    let p: ChartPod = await runChartPod({ ctd, objects, api, nodeName: NODE });
    const readyMs = await p.waitReady(90_000);
    const firstServed = p.logLines().find((l) => l.event === 'HealthServerStarted');
    figures.push(`agent container start -> Ready (kubelet-style probe, every ${agent.readinessProbe?.periodSeconds ?? 10} s): ${readyMs} ms; -> health server up: ${firstServed ? new Date(firstServed.time).getTime() - p.startedAt : '?'} ms`);
    t.match(readCorePattern(), /^\|\/var\/mnt\/core-dump-handler\/cdc -c=%c /, 'core_pattern installed by the agent');
    const selfTest = p.logLines().find((l) => l.event === 'HostSelfTestPassed');
    t.match(selfTest, { node: /^v\d+/, glibc: /^2\.\d+$/ }, 'the kernel ran the installed launcher from the host\'s view');
    t.equal(readSys(SYSCTL.suid), '2', 'suid_dumpable from the chart');
    const ready = await p.get('/readyz');
    t.equal(ready.status, 200, `readyz through the pod's port: ${ready.text}`);
    t.match((await p.get('/metrics')).text, /cdc_agent_spool_files/, 'metrics through the pod\'s port');

    // 2. A crash in another pod: zip in S3 with the pod's metadata; the Event, with the mounted token.
    const first = await crashInPod('crash1');
    figures.push(`crash (container exit) -> object in S3: ${first.ms} ms`);
    await checkZip(t, first.key, 'crash1', first.containerId);
    await waitFor('CoreDumpStored Event', () => eventsFor('crash1').length > 0, 30_000);
    const ev = eventsFor('crash1')[0]!;
    t.equal(ev.auth, `Bearer ${api.token}`, 'authenticated with the mounted service account token');
    t.match(ev.body, { reason: 'CoreDumpStored', involvedObject: { kind: 'Pod', namespace: 'default', name: 'segfaulter' } });
    t.match(ev.url, /^\/api\/v1\/namespaces\/default\/events$/);

    // 3. Rolling update: the DaemonSet stands; the old pod is stopped, a crash happens, a new pod starts.
    api.daemonSet = 'present';
    t.equal(await p.stop(), 0, 'old agent exits 0 on SIGTERM');
    t.ok(p.logLines().some((l) => l.event === 'StopDecided' && l.state === 'present'), 'asked the API server');
    t.match(readCorePattern(), /^\|\/var\/mnt\/core-dump-handler\/cdc /, 'capture kept between the two agents');
    const between = await crashInPod('crash2');
    figures.push(`crash with no agent running -> object in S3: ${between.ms} ms`);
    await checkZip(t, between.key, 'crash2', between.containerId);
    p = await runChartPod({ ctd, objects, api, nodeName: NODE });
    await p.waitReady(90_000);
    await waitFor('the new agent posts the Event of the crash in between', () => eventsFor('crash2').length > 0, 30_000);
    t.equal(p.probes.livenessFailures, 0, 'liveness never failed');

    // 4. Uninstall: the DaemonSet is gone when its pods get SIGTERM.
    api.daemonSet = 'gone';
    t.equal(await p.stop(), 0, 'agent exits 0 on SIGTERM');
    t.ok(p.logLines().some((l) => l.event === 'StopDecided' && l.state === 'gone'));
    t.equal(readCorePattern(), original.pattern, 'core_pattern restored');
    t.equal(readSys(SYSCTL.pipeLimit), original.pipeLimit, 'core_pipe_limit restored');
    t.equal(readSys(SYSCTL.suid), original.suid, 'suid_dumpable restored');
    for (const f of ['cdc', 'cdc.cjs', 'node', '.env']) t.notOk(fs.existsSync(path.join(hostDir, f)), `${f} removed from the host`);
  });
  t.comment(figures.join('\n'));
});

t.test('every provider values file that changes the pod: Ready, a crash stored, uninstall restores', async (t) => {
  const original = { pattern: readCorePattern(), pipeLimit: readSys(SYSCTL.pipeLimit), suid: readSys(SYSCTL.suid) };
  t.teardown(() => fs.writeFileSync(SYSCTL.suid, original.suid));
  const base = JSON.stringify(agentPod(seedInstall(bucket, ctd.endpoint)).pod);
  // A provider's own S3 endpoint (DigitalOcean, IBM COS) is not reachable from here: it is pointed
  // at the tests' S3; everything else in the provider file is rendered and run as it is.
  // values.azure.yaml chooses the other store: it is rendered by the chart tests and run against
  // Azurite by test/e2e/azure-store.test.ts; this node runs the S3 path.
  const providers = valuesFiles().providers
    .filter((f) => !f.endsWith('values.azure.yaml'))
    .filter((f) => JSON.stringify(agentPod(seedInstall(bucket, ctd.endpoint, [f], false)).pod) !== base)
    .map((f) => ({ f, objects: seedInstall(bucket, ctd.endpoint, [f]) }));
  t.ok(providers.length >= 3, `providers that change the pod: ${providers.map((p) => p.f).join(' ')}`);
  await withCorePattern(original.pattern, async () => {
    for (const { f, objects } of providers) {
      const { pod } = agentPod(objects);
      cleanupCreated(t, pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : [])));
      const hostDir = pod.containers[0]?.env?.find((e) => e.name === 'HOST_DIR')?.value ?? '';
      api.daemonSet = 'present';
      const p = await runChartPod({ ctd, objects, api, nodeName: NODE });
      await p.waitReady(90_000);
      t.ok(readCorePattern().startsWith(`|${hostDir}/cdc `), `${f}: core_pattern names ${hostDir}`);
      const c = await crashInPod(`crash-${f.replace(/^values\.|\.yaml$/g, '').replace(/\./g, '-')}`);
      await checkZip(t, c.key, c.name, c.containerId);
      api.daemonSet = 'gone';
      t.equal(await p.stop(), 0, `${f}: agent exits 0`);
      t.equal(readCorePattern(), original.pattern, `${f}: core_pattern restored`);
      t.equal(readSys(SYSCTL.suid), original.suid, `${f}: suid_dumpable restored`);
    }
  });
});
