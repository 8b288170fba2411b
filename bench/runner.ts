// The bench runner (`npm run bench`, see bench/README.md): makes or reuses real cores, runs every
// scenario round-robin on each core size (so machine noise spreads over all of them), then the
// real-kernel hold scenario and a profile, and prints / writes the report.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { NODE } from '../test/helpers/composer-install.ts';
import { parseOptions } from './lib/options.ts';
import { prepareTools } from './lib/tools.ts';
import { ensureCore, corePath, type CoreClass, type CoreFile } from './lib/cores.ts';
import { openS3, type BenchS3 } from './lib/s3.ts';
import { describeMachine, loadAvg } from './lib/machine.ts';
import { profileComposer, type ProfileSummary } from './lib/profile.ts';
import { renderReport, TARGET_IDS } from './lib/report.ts';
import type { Cell } from './lib/stats.ts';
import { RESULTS, WORK, ROOT } from './lib/paths.ts';
import type { Scenario } from './lib/types.ts';
import { runKernelHold, HOLD_FILL_MIBS, type HoldResult } from './scenarios/kernel-hold.ts';
import { runHoldCurve, CURVE_BUFFER_MIBS, CURVE_FILL_MIBS, type CurvePoint } from './scenarios/hold-curve.ts';
import { runBurst, type BurstResult } from './scenarios/burst.ts';
import cat from './scenarios/ceiling-cat.ts';
import gzip from './scenarios/baseline-gzip.ts';
import pigz from './scenarios/baseline-pigz.ts';
import zstd from './scenarios/baseline-zstd.ts';
import gzipRclone from './scenarios/peer-gzip-rclone.ts';
import pigzRclone from './scenarios/peer-pigz-rclone.ts';
import rclone from './scenarios/peer-rclone.ts';
import design from './scenarios/peer-design-pipeline.ts';
import cdcStore from './scenarios/composer-direct-store.ts';
import cdcDeflate from './scenarios/composer-direct-deflate.ts';
import cdcDeflateNoTriage from './scenarios/composer-direct-deflate-notriage.ts';
import cdcZstd from './scenarios/composer-direct-zstd.ts';
import cdcSpool from './scenarios/composer-spool.ts';
import { cdcDeflateOneCore, cdcDeflateTwoCores } from './scenarios/composer-cores.ts';
import { cdcEarly64, cdcEarly256 } from './scenarios/composer-early-buffer.ts';
import cdcAzureStore from './scenarios/composer-azure-store.ts';
import cdcAzureDeflate from './scenarios/composer-azure-deflate.ts';
import rcloneAzure from './scenarios/peer-rclone-azure.ts';
import { openBenchAzure, type BenchAzure } from './lib/azure.ts';

const ALL: Scenario[] = [cat, gzip, pigz, zstd, gzipRclone, pigzRclone, rclone, design, cdcStore, cdcDeflate, cdcDeflateNoTriage, cdcZstd, cdcSpool,
  cdcDeflateOneCore, cdcDeflateTwoCores, cdcEarly64, cdcEarly256, rcloneAzure, cdcAzureStore, cdcAzureDeflate];
const GiB = 2 ** 30;
/** From this core size up, only the rows the speed targets compare are run: a round of every row would take over half an hour. */
const LARGE_MIB = 16384;
/** Times per MiB from smaller cores are mostly start-up: they are not scaled up to reserve time for later cores. */
const ESTIMATE_FROM_MIB = 1024;
/** Cores up to this size stay cached in /tmp/cdc-bench/cores for the next run. */
const KEEP_CORES_UP_TO_MIB = 4096;

const log = (s: string) => console.log(s);

function freeDiskBytes(dir: string): number {
  const st = fs.statfsSync(dir);
  return st.bavail * st.bsize;
}

function availableMemBytes(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : os.freemem();
}

/** The core size to use instead of `mib` when disk or memory is short (halving), or undefined. */
function fitSize(mib: number, notes: string[], coreClass: CoreClass): number | undefined {
  let size = mib;
  for (; size >= 64; size /= 2) {
    const cached = fs.existsSync(corePath(size, coreClass));
    // The core file (unless cached), an uncompressed object in the RGW (own RGW on this disk),
    // and 2 GiB to spare; making the core needs its size in free memory.
    const diskNeed = (cached ? 0 : size * 2 ** 20) + size * 2 ** 20 + 2 * GiB;
    const memNeed = cached ? 0 : size * 2 ** 20 + GiB;
    if (freeDiskBytes(WORK) >= diskNeed && availableMemBytes() >= memNeed) break;
  }
  if (size < 64) {
    notes.push(`${mib} MiB core skipped: not enough free disk or memory even at 64 MiB`);
    return undefined;
  }
  if (size !== mib) notes.push(`${mib} MiB core scaled down to ${size} MiB: free disk ${(freeDiskBytes(WORK) / GiB).toFixed(1)} GiB, available memory ${(availableMemBytes() / GiB).toFixed(1)} GiB`);
  return size;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const started = Date.now();
  const deadline = started + opts.budgetMin * 60_000;
  const loadStart = loadAvg();
  const notes: string[] = [];
  fs.mkdirSync(WORK, { recursive: true });
  if (!fs.existsSync(`${ROOT}/dist/cdc.cjs`)) throw new Error('dist/cdc.cjs missing: run `npm run build` (npm run bench does)');
  const tools = prepareTools();
  const scenarios = opts.only ? ALL.filter((s) => opts.only!.includes(s.id)) : ALL;
  const wantHold = !opts.only || opts.only.includes('kernel-hold');
  const wantCurve = !opts.only || opts.only.includes('hold-curve');
  const wantBurst = !opts.only || opts.only.includes('burst');
  if (opts.quick) notes.push('quick run (CDC_BENCH_QUICK / --quick): not for comparison');
  if (opts.runs < 3) notes.push(`${opts.runs} run(s) per cell instead of 3`);
  log(`load average ${loadStart}; sizes ${opts.sizesMiB.join(', ')} MiB; ${opts.runs} run(s); budget ${opts.budgetMin} min`);

  const s3 = await openS3(opts.s3Endpoint, opts.s3Dir, log);
  const stopOwnS3 = () => {
    if (s3.own) execFileSync('bash', [`${ROOT}/scripts/s3-local.sh`, 'down', `${WORK}/s3`], { stdio: 'ignore' });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stopOwnS3(); process.exit(130); });

  let azure: Promise<BenchAzure> | undefined;
  const openAzure = () => (azure ??= openBenchAzure(log));
  const cells: Cell[] = [];
  const profiles: ProfileSummary[] = [];
  const holds: HoldResult[] = [];
  let curve: CurvePoint[] = [];
  let bursts: BurstResult[] = [];
  try {
    // Time kept back for the kernel-hold scenario and the profiles after the size loop.
    const reserveMs = (wantHold ? opts.holdCrashes * 8_000 * HOLD_FILL_MIBS.length : 0)
      + (wantCurve ? opts.holdCrashes * 4_000 * CURVE_FILL_MIBS.length * CURVE_BUFFER_MIBS.length : 0) + (wantBurst ? 90_000 : 0) + (opts.profile ? 60_000 : 0);
    // Time per MiB of core of each scenario, from the last size measured: the budget's estimate.
    const msPerMiB = new Map<string, number>();
    let estimatedAtMiB = 0;
    const pairs = opts.sizesMiB.flatMap((wanted) => opts.classes.map((coreClass) => ({ wanted, coreClass })));
    const chosen = (mib: number) => (mib >= LARGE_MIB ? scenarios.filter((sc) => TARGET_IDS.has(sc.id)) : scenarios);
    const roundMs = (mib: number) => chosen(mib).reduce((n, sc) => n + (msPerMiB.get(sc.id) ?? 0) * mib, 0);
    for (const [i, { wanted, coreClass }] of pairs.entries()) {
      const size = fitSize(wanted, notes, coreClass);
      if (size === undefined) continue;
      const core = await ensureCore(tools, size, log, coreClass);
      const sizeScenarios = chosen(size);
      if (sizeScenarios.length < scenarios.length) notes.push(`${size} MiB ${coreClass} core: only the rows the speed targets compare (${sizeScenarios.map((sc) => sc.id).join(', ')})`);
      let runs = opts.runs;
      if (msPerMiB.size > 0) {
        // One round if it fits at all; more only from what one round of every later core leaves.
        const later = estimatedAtMiB >= ESTIMATE_FROM_MIB ? pairs.slice(i + 1).reduce((n, p) => n + roundMs(p.wanted), 0) : 0;
        const perRunMs = roundMs(size);
        const left = deadline - Date.now() - reserveMs;
        const fit = Math.max(Math.min(1, Math.floor(left / perRunMs)), Math.floor((left - later) / perRunMs));
        if (fit < runs) {
          if (fit < 1) {
            notes.push(`${size} MiB ${coreClass} core skipped: one round would take ~${(perRunMs / 60_000).toFixed(1)} min, over the ${opts.budgetMin} min budget`);
            continue;
          }
          notes.push(`${size} MiB ${coreClass} core: ${fit} run(s) instead of ${runs} to stay within the ${opts.budgetMin} min budget (~${(perRunMs / 60_000).toFixed(1)} min per round)`);
          runs = fit;
        }
      }
      const sizeCells = sizeScenarios.map((scenario) => ({ sizeMiB: size, coreClass, coreBytes: core.bytes, scenario, samples: [] }) as Cell);
      cells.push(...sizeCells);
      const spent = new Map<string, number>();
      for (let round = 0; round < runs; round++) {
        for (const cell of sizeCells) {
          const t0 = Date.now();
          try {
            const server0 = cell.scenario.usesS3 ? s3.serverCpuS() : undefined;
            const sample = await cell.scenario.run({ core, s3, azure: openAzure, tools, log });
            const server1 = server0 === undefined ? undefined : s3.serverCpuS();
            if (server1 !== undefined) sample.serverCpuS = server1 - server0!;
            cell.samples.push(sample);
            log(`${size} MiB ${coreClass}  run ${round + 1}/${runs}  ${cell.scenario.title.padEnd(34)} ${(core.bytes / 1e6 / sample.wallS).toFixed(1).padStart(7)} MB/s  ratio ${(core.bytes / sample.outBytes).toFixed(2)}`);
          } catch (e) {
            notes.push(`${size} MiB ${coreClass} ${cell.scenario.id} run ${round + 1} failed: ${(e as Error).message.split('\n')[0]}`);
            log(`FAILED ${cell.scenario.id}: ${(e as Error).message}`);
          }
          if (cell.scenario.usesS3) await s3.clear();
          if (cell.scenario.usesAzure) await (await openAzure()).clear();
          spent.set(cell.scenario.id, (spent.get(cell.scenario.id) ?? 0) + Date.now() - t0);
        }
      }
      // The mixed core is the slower class: its times are the budget's estimate.
      if (coreClass === 'mixed' || msPerMiB.size === 0) {
        for (const [id, ms] of spent) msPerMiB.set(id, ms / runs / size);
        estimatedAtMiB = size;
      }
      // A core above 4 GiB is not kept: the next one (and its stored copy in the RGW) needs the disk.
      if (size > KEEP_CORES_UP_TO_MIB) fs.rmSync(core.path, { force: true });
    }
    if (wantHold) {
      for (const fill of HOLD_FILL_MIBS) {
        log(`kernel crash end to end: ${opts.holdCrashes} crashes of a ${fill} MiB process per handler`);
        holds.push(await runKernelHold(tools, s3, opts.holdCrashes, log, fill));
      }
    }
    if (wantCurve) {
      log(`hold against the release buffer: ${opts.holdCrashes} crashes per point`);
      curve = await runHoldCurve(tools, s3, opts.holdCrashes, log);
    }
    if (wantBurst) {
      log('a burst of crashes at once, without and with the node budget');
      bursts = await runBurst(tools, s3, log);
    }
    if (opts.profile) {
      // Profile on a mid-size core: long enough to be representative, short enough to be cheap.
      const mixed = cells.filter((c) => c.coreClass === 'mixed').map((c) => c.sizeMiB);
      const size = Math.min(1024, ...mixed);
      const pick = Math.max(...mixed.filter((s) => s <= 1024), size);
      const core: CoreFile = await ensureCore(tools, pick, log);
      for (const codec of ['deflate', 'zstd', 'store']) {
        log(`profiling the composer (${codec}, ${pick} MiB)`);
        profiles.push(await profileComposer({ core, s3, azure: openAzure, tools, log }, codec));
      }
    }
  } finally {
    for (const s of ALL) s.dispose?.();
    await s3.close();
    if (azure) await (await azure).close();
  }

  const { markdown } = renderReport({
    cells, holds, curve, bursts, profiles, notes,
    machine: describeMachine(NODE).lines,
    startedAt: new Date(started),
    minutes: (Date.now() - started) / 60_000,
    loadStart, loadEnd: loadAvg(),
    s3: s3.own ? `Ceph RGW started by the bench (${s3.endpoint})` : `Ceph RGW at ${s3.endpoint} (CDC_BENCH_S3_ENDPOINT)`,
    command: ['npm run bench', ...process.argv.slice(2)].join(' '),
  });
  console.log('\n' + markdown);
  if (opts.write) {
    fs.writeFileSync(RESULTS, markdown);
    log(`wrote ${RESULTS}`);
  } else log('partial run: bench/RESULTS.md not written (add --write to force)');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
