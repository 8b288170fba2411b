// How many cores the composer compresses on: the cores it may run on (affinity, via
// os.availableParallelism()) and the cgroup's CPU limit where there is one, capped by COMP_THREADS.
// libuv's thread pool, where zlib and zstd compress, is sized to match; UV_THREADPOOL_SIZE counts
// only until the pool's first use (any async fs, dns or zlib call), so main.ts calls this first.
import fs from 'node:fs';
import os from 'node:os';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** cgroup v2's "cpu.max" ("max 100000" or "<quota> <period>") as cores, or Infinity. */
export function cpuMaxCores(text: string): number {
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota), p = Number(period);
  return quota === 'max' || !(q > 0 && p > 0) ? Infinity : Math.max(1, Math.ceil(q / p));
}

/** The tightest cpu.max of our cgroup and its ancestors (cgroup v2); Infinity when none is set. */
function cgroupCores(): number {
  let rel: string | undefined;
  try {
    rel = /^0::(\/.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  } catch {
    return Infinity;
  }
  let cores = Infinity;
  for (let dir = rel; dir !== undefined && dir.startsWith('/'); dir = dir === '/' ? undefined : dir.replace(/\/[^/]*$/, '') || '/') {
    try {
      cores = Math.min(cores, cpuMaxCores(fs.readFileSync(`${CGROUP_ROOT}${dir}/cpu.max`, 'utf8')));
    } catch {
      // no cpu controller at this level
    }
  }
  return cores;
}

/** The cores the composer may use: affinity and cgroup limit. */
export function usableCores(): number {
  return Math.max(1, Math.min(os.availableParallelism(), cgroupCores()));
}

/** Compression threads: the usable cores, at most `cap` (COMP_THREADS). */
export function compressionThreads(cap: number, cores = usableCores()): number {
  return Math.max(1, Math.min(cap, cores));
}

/**
 * Sizes libuv's pool for `threads` compressions at once, unless the environment already set it.
 * Must run before the pool's first use.
 */
export function sizeThreadPool(threads: number): number {
  process.env.UV_THREADPOOL_SIZE ??= String(threads);
  return Number(process.env.UV_THREADPOOL_SIZE);
}

/** COMP_NICE: lowers the composer's priority so the node's workloads win contention; never fatal. */
export function applyNice(nice: number): Error | undefined {
  try {
    os.setPriority(nice);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}
