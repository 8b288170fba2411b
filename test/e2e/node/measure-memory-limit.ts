// The original chart's resource values on the node: the agent pod rendered with
// ci/seed-compat-values.yaml (request_mem 64Mi, limit_mem 128Mi, the original's own image block)
// and the seed install command, run by the node harness with that memory limit in its cgroup,
// while it uploads a spooled zip of SIZE_MIB (default 4096). Reports the agent's peak RSS (VmHWM),
// the cgroup's peak and whether the kernel OOM-killed anything. Not a tap test (minutes, GiBs):
//   CDC_TEST_S3_ENDPOINT=http://127.0.0.1:PORT [SIZE_MIB=4096] [CHART_SET='k=v k=v'] [CHART_VALUES=/abs/file.yaml] node test/e2e/node/measure-memory-limit.ts
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { render } from '../../chart/render.ts';
import { agentPod } from '../../helpers/rendered-pod.ts';
import { ensureImage } from '../../helpers/image.ts';
import { startContainerd } from '../../helpers/containerd.ts';
import { startApiServer } from '../../helpers/api-server.ts';
import { importImage, runChartPod } from '../../helpers/node-harness.ts';
import { readCorePattern, withCorePattern } from '../../helpers/core-pattern.ts';
import { createTestBucket, S3_ACCESS_KEY, S3_SECRET, testS3Endpoint } from '../../helpers/s3.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const sizeMiB = Number(process.env.SIZE_MIB ?? 4096);
const ctd = await startContainerd();
const bucket = await createTestBucket('memlimit');
const api = await startApiServer(path.join(ctd.dir, 'sa'), { namespace: 'observe' });
const suid = fs.readFileSync('/proc/sys/fs/suid_dumpable', 'utf8').trim();
let hostDir = '';
try {
  const objects = render(['ci/seed-compat-values.yaml', ...(process.env.CHART_VALUES ? [process.env.CHART_VALUES] : [])], [
    `daemonset.s3AccessKey=${S3_ACCESS_KEY}`, `daemonset.s3Secret=${S3_SECRET}`,
    `daemonset.s3BucketName=${bucket.name}`, `daemonset.s3Region=${testS3Endpoint()}`, `daemonset.crioEndpoint=${ctd.endpoint}`,
    'image.pullPolicy=IfNotPresent', // the original's "Always" needs a registry; the image is on the node
    ...(process.env.CHART_SET ? process.env.CHART_SET.split(' ') : []), // more --set pairs, to compare settings
  ], 'core-dump-handler');
  const { agent, pod } = agentPod(objects);
  console.log(`resources: ${JSON.stringify(agent.resources)}`);
  hostDir = pod.volumes.find((v) => v.name === 'host-dir')?.hostPath?.path ?? '';
  importImage(ctd, ensureImage('amd64'), agent.image);
  await withCorePattern(readCorePattern(), async () => {
    const p = await runChartPod({ ctd, objects, api, nodeName: 'node-1' });
    await p.waitReady(90_000);
    const cg = `/sys/fs/cgroup/memory/kubepods/burstable/pod${p.uid}/${p.containerId}`;
    const pid = Number(JSON.parse((await ctd.cri.containerStatus(p.containerId, true, 10_000)).info?.info ?? '{}').pid);
    console.log(`cgroup memory.limit_in_bytes ${fs.readFileSync(`${cg}/memory.limit_in_bytes`, 'utf8').trim()}`);
    const coreDir = path.join(hostDir, 'cores');
    const chunk = randomBytes(16 << 20); // incompressible; written as the composer does (.part, then rename)
    const fd = fs.openSync(path.join(coreDir, 'large.zip.part'), 'w');
    for (let i = 0; i < sizeMiB / 16; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    fs.renameSync(path.join(coreDir, 'large.zip.part'), path.join(coreDir, 'large.zip'));
    const t0 = Date.now();
    // RssAnon is what the memory cgroup cannot reclaim; VmRSS also counts the runtime's mapped text.
    let rssPeak = 0;
    let anonPeak = 0;
    const poll = setInterval(() => {
      let st = '';
      try { st = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return; } // gone: reported below
      rssPeak = Math.max(rssPeak, Number(/VmRSS:\s+(\d+) kB/.exec(st)?.[1] ?? 0));
      anonPeak = Math.max(anonPeak, Number(/RssAnon:\s+(\d+) kB/.exec(st)?.[1] ?? 0));
    }, 200);
    const exited = async () => (await ctd.cri.containerStatus(p.containerId, false, 10_000)).status?.state === 'CONTAINER_EXITED';
    await waitFor('the upload', async () => !fs.existsSync(path.join(coreDir, 'large.zip')) || (await exited()), 30 * 60_000);
    clearInterval(poll);
    const secs = (Date.now() - t0) / 1000;
    const alive = fs.existsSync(`/proc/${pid}/status`);
    const hwm = alive ? Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) : 0;
    // The container's cgroup goes with it when the kernel killed it: then dmesg has the OOM line.
    const cgRead = (f: string) => { try { return fs.readFileSync(`${cg}/${f}`, 'utf8').trim(); } catch { return '(cgroup gone)'; } };
    const oom = cgRead('memory.oom_control').replace(/\n/g, ' ');
    const st = (await ctd.cri.containerStatus(p.containerId, false, 10_000)).status;
    const mib = (kb: number) => (kb / 1024).toFixed(1);
    console.log(`${sizeMiB} MiB spooled zip: ${alive ? 'uploaded' : 'NOT uploaded'} in ${secs.toFixed(1)} s (${(sizeMiB / secs).toFixed(0)} MiB/s); in S3: ${(await bucket.keys()).includes('large.zip')}`);
    console.log(`agent peak RSS: VmHWM ${alive ? mib(hwm) : '(process gone)'} MiB; sampled VmRSS ${mib(rssPeak)} MiB, RssAnon ${mib(anonPeak)} MiB`);
    console.log(`cgroup max_usage (incl. page cache) ${(Number(cgRead('memory.max_usage_in_bytes')) / 2 ** 20).toFixed(1)} MiB, failcnt ${cgRead('memory.failcnt')}; oom_control: ${oom}`);
    console.log(`container ${st?.state}${st?.state === 'CONTAINER_EXITED' ? ` exit ${st.exit_code ?? 0}: ${JSON.stringify(p.logLines().slice(-3))}` : ''}`);
    api.daemonSet = 'gone';
    await p.stop();
  });
} finally {
  fs.writeFileSync('/proc/sys/fs/suid_dumpable', suid);
  if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
  try { fs.rmdirSync(path.dirname(hostDir)); } catch { /* not empty or not ours */ }
  await api.close();
  await ctd.stop();
  await bucket.destroy();
}
