// One measured run of a shell script (see bench/native/measure.c for what is counted and how).
import { execFileSync } from 'node:child_process';

export interface Cost {
  wallS: number;
  cpuS: number; // user + system of the whole process tree, including the `cat` that feeds the core
  maxRssKiB: number; // the largest peak RSS of any one process in the tree
  writeBytes: number; // bytes the tree caused to be written to block devices
  exit: number;
}

export function measureShell(measureBin: string, script: string, env: NodeJS.ProcessEnv = process.env): Cost {
  const out = execFileSync(measureBin, [script], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  const cost = JSON.parse(out) as Cost;
  if (cost.exit !== 0) throw new Error(`exit ${cost.exit}: ${script}`);
  return cost;
}

/** Quotes a string for bash. */
export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
