// A burst (issue 12): 16 real crashes at once, so the kernel starts 16 composers together (direct,
// deflate-1, into the bench bucket). Run with the node budget off (COMP_NODE_MEMORY_MIB=0) and at
// its default. Every 20 ms the memory of all running composers is summed (/proc): their PSS is the
// node-wide cost (a page shared by N composers, like the Node binary's ~40 MiB of code, counts 1/N
// in each), their RSS the sum of what each one reports alone.
// Every dump must be stored whole: each object is fetched and passes Info-ZIP's `unzip -t`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCorePattern } from '../../test/helpers/core-pattern.ts';
import { installComposer } from '../../test/helpers/composer-install.ts';
import { unzipTest } from '../../test/helpers/zip-check.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';
import { DEFAULT_NODE_MEMORY_MIB } from '../../src/shared/config.ts';
import { composerS3Env, type BenchS3 } from '../lib/s3.ts';
import type { Tools } from '../lib/tools.ts';
import { holdArgs, parseHold } from './kernel-hold.ts';

export const BURST_CRASHES = 16;
export const BURST_FILL_MIB = 32;
const SAMPLE_MS = 20;

export interface BurstResult {
  nodeMemoryMiB: number; // 0: no budget
  crashes: number;
  fillMiB: number;
  peakTotalMiB: number; // all composers' PSS together, at its highest: what the node pays
  peakRssSumMiB: number; // all composers' RSS added up (shared pages counted in every one)
  peakComposers: number; // composers running at once, at most
  stored: number;
  whole: number; // stored objects that pass unzip -t
  modes: Record<string, number>; // NodeBudget mode -> composers
  maxWaitedMs: number;
  heldMs: number[]; // crash -> reaped, per crash
  crashToLastStoredMs: number;
}

/** RSS and PSS (KiB) of every process running `launcher`. */
function composerMemory(launcher: string): Array<{ rss: number; pss: number }> {
  const out: Array<{ rss: number; pss: number }> = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(launcher)) continue;
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
      out.push({ rss: kib('Rss'), pss: kib('Pss') });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

/** n crashes at once; each corefill times its own child's crash -> reaped. */
function crashTogether(tools: Tools, n: number, fillMiB: number): Promise<Array<[number, number]>> {
  return Promise.all(Array.from({ length: n }, () => new Promise<[number, number]>((resolve, reject) => {
    execFile(tools.corefill, holdArgs(fillMiB), { encoding: 'utf8' }, (err, stdout, stderr) => {
      try {
        resolve(parseHold(err ? Number(err.code ?? 1) : 0, stdout, stderr));
      } catch (e) {
        reject(e as Error);
      }
    });
  })));
}

async function wholeObjects(s3: BenchS3): Promise<{ stored: number; whole: number }> {
  const zips = (await s3.objects()).filter((o) => o.key.endsWith('.zip'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-burst-'));
  let whole = 0;
  try {
    for (const o of zips) {
      const file = path.join(dir, 'dump.zip');
      fs.writeFileSync(file, await s3.get(o.key));
      try {
        unzipTest(file); // throws unless Info-ZIP finds the zip whole
        whole++;
      } catch {
        // counted as not whole
      }
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { stored: zips.length, whole };
}

export async function runBurst(tools: Tools, s3: BenchS3, log: (s: string) => void): Promise<BurstResult[]> {
  const results: BurstResult[] = [];
  for (const nodeMemoryMiB of [0, DEFAULT_NODE_MEMORY_MIB]) {
    const inst = installComposer({ ...composerS3Env(s3), COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1', COMP_NODE_MEMORY_MIB: String(nodeMemoryMiB) });
    try {
      let peakPss = 0, peakRss = 0, peakComposers = 0, sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const m = composerMemory(inst.launcher).filter((x) => Number.isFinite(x.pss));
          peakPss = Math.max(peakPss, m.reduce((a, b) => a + b.pss, 0));
          peakRss = Math.max(peakRss, m.reduce((a, b) => a + b.rss, 0));
          peakComposers = Math.max(peakComposers, m.length);
          await new Promise((r) => setTimeout(r, SAMPLE_MS));
        }
      })();
      const crashes = await withCorePattern(inst.pattern, async () => {
        const held = await crashTogether(tools, BURST_CRASHES, BURST_FILL_MIB);
        await waitFor(`${BURST_CRASHES} composers to finish`, () => (inst.log().filter((l) => l.event === 'DumpFinished').length >= BURST_CRASHES ? true : undefined), 300_000);
        return held;
      });
      sampling = false;
      await sampler;
      const lines = inst.log();
      const modes: Record<string, number> = {};
      for (const l of lines.filter((x) => x.event === 'NodeBudget')) modes[String(l.mode)] = (modes[String(l.mode)] ?? 0) + 1;
      const lastStored = Math.max(...lines.filter((l) => l.event === 'DumpFinished').map((l) => Number(l.time)));
      const r: BurstResult = {
        nodeMemoryMiB, crashes: BURST_CRASHES, fillMiB: BURST_FILL_MIB, peakTotalMiB: peakPss / 1024, peakRssSumMiB: peakRss / 1024, peakComposers, ...(await wholeObjects(s3)), modes,
        maxWaitedMs: Math.max(0, ...lines.filter((l) => l.event === 'NodeBudget').map((l) => Number(l.waitedMs))),
        heldMs: crashes.map((c) => c[1]), crashToLastStoredMs: lastStored - Math.min(...crashes.map((c) => c[0])),
      };
      log(`  burst, COMP_NODE_MEMORY_MIB=${nodeMemoryMiB}: ${r.whole}/${r.crashes} whole, all composers peaked at ${r.peakTotalMiB.toFixed(0)} MiB PSS, ${r.peakRssSumMiB.toFixed(0)} MiB RSS summed (${r.peakComposers} at once), modes ${JSON.stringify(modes)}`);
      results.push(r);
      await s3.clear();
    } finally {
      inst.remove();
    }
  }
  return results;
}
