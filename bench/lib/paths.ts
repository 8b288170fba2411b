// Where the bench keeps things between runs: cores are slow to make, so they are cached here.
import path from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const WORK = '/tmp/cdc-bench';
export const BIN = path.join(WORK, 'bin');
export const CORES = path.join(WORK, 'cores');
export const RESULTS = path.join(ROOT, 'bench/RESULTS.md');
export const ANALYSIS = path.join(ROOT, 'bench/ANALYSIS.md');
