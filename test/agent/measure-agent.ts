// Measures the built agent (dist/agent.cjs): idle RSS of `run`, and the upload throughput of a
// spooled zip of SIZE_MIB (default 1024) into the test S3. Not a tap test (it is slow on purpose):
//   CDC_TEST_S3_ENDPOINT=http://127.0.0.1:7480 node test/agent/measure-agent.ts
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createTestBucket } from '../helpers/s3.ts';
import { scratchHost } from '../helpers/scratch-host.ts';

const AGENT = path.resolve(import.meta.dirname, '../../dist/agent.cjs');
const sizeMiB = Number(process.env.SIZE_MIB ?? 1024);

/** kB of a /proc/<pid>/status field: VmRSS, or RssAnon (what a memory cgroup cannot reclaim). */
function status(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

const b = await createTestBucket('measure');
const h = scratchHost('cdc-measure-');
fs.copyFileSync(path.join(path.dirname(AGENT), 'cdc.cjs'), path.join(h.sourceDir, 'cdc.cjs'));
const env = { PATH: process.env.PATH, ...b.env, HOST_DIR: h.hostDir, CDC_PROC_SYS: h.procSys, METRICS_PORT: '0', USE_INOTIFY: 'true', INTERVAL: '60000',
  // COMP_PART_SIZE_MIB / COMP_UPLOAD_CONCURRENCY / GLIBC_TUNABLES / NODE_OPTIONS pass through, to compare settings.
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('COMP_') || k === 'GLIBC_TUNABLES' || k === 'NODE_OPTIONS')) };
try {
  // 1. idle RSS of `run`
  const run = spawn(process.execPath, [AGENT, 'run'], { env, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 20_000));
  const idle = status(run.pid!);
  const idleAnon = status(run.pid!, 'RssAnon');
  run.kill('SIGTERM');
  await new Promise((r) => run.on('exit', r));
  console.log(`idle after 20 s of "run": VmRSS ${(idle / 1024).toFixed(1)} MiB, RssAnon ${(idleAnon / 1024).toFixed(1)} MiB`);

  // 2. a large spooled zip through a one-off sweep
  fs.mkdirSync(h.coreDir, { recursive: true });
  const file = path.join(h.coreDir, 'large.zip');
  const fd = fs.openSync(file, 'w');
  const chunk = randomBytes(16 * 1024 * 1024); // incompressible, and S3 does not dedupe
  for (let i = 0; i < sizeMiB / 16; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const started = Date.now();
  const sweep = spawn(process.execPath, [AGENT, 'sweep'], { env: { ...env, UPLOAD_MIN_FILE_AGE_MS: '0' }, stdio: 'ignore' });
  let peak = 0;
  let peakAnon = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, status(sweep.pid!));
      peakAnon = Math.max(peakAnon, status(sweep.pid!, 'RssAnon'));
    } catch { /* exited */ }
  }, 200);
  const code = await new Promise((r) => sweep.on('exit', r));
  clearInterval(poll);
  const secs = (Date.now() - started) / 1000;
  const head = (await b.keys()).includes('large.zip');
  console.log(`sweep of ${sizeMiB} MiB: exit ${code}, ${secs.toFixed(1)} s, ${(sizeMiB / secs).toFixed(1)} MiB/s, peak VmRSS ${(peak / 1024).toFixed(1)} MiB (RssAnon ${(peakAnon / 1024).toFixed(1)} MiB), in S3: ${head}, local removed: ${!fs.existsSync(file)}`);
} finally {
  h.cleanup();
  await b.destroy();
}
