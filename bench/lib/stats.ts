// Medians and the derived figures of one (core size, scenario) cell.
import type { Sample, Scenario } from './types.ts';
import type { CoreClass } from './cores.ts';

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Cell {
  sizeMiB: number;
  coreClass: CoreClass;
  coreBytes: number;
  scenario: Scenario;
  samples: Sample[];
}

export interface CellStats {
  runs: number;
  mbps: number; // MB (10^6 bytes) of core per second of wall time, median run
  ratio: number; // core bytes / output bytes
  rssMiB: number; // largest process in the pipeline (or the composer)
  cpuS: number;
  cpuSPerGB: number;
  writeBytes: number;
  heldMs: number; // composer only
  serverCpuS: number; // S3 server's CPU during the run
}

export function cellStats(c: Cell): CellStats {
  const m = (f: (s: Sample) => number | undefined) => median(c.samples.map((s) => f(s) ?? NaN));
  const wall = m((s) => s.wallS);
  const cpu = m((s) => s.cpuS);
  return {
    runs: c.samples.length,
    mbps: c.coreBytes / 1e6 / wall,
    ratio: c.coreBytes / m((s) => s.outBytes),
    rssMiB: m((s) => s.composerRssKiB ?? s.maxRssKiB) / 1024,
    cpuS: cpu,
    cpuSPerGB: cpu / (c.coreBytes / 1e9),
    writeBytes: m((s) => s.writeBytes),
    heldMs: m((s) => s.heldMs),
    serverCpuS: m((s) => s.serverCpuS),
  };
}
