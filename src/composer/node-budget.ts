// The node-wide budget: a burst of crashes (a crash loop across replicas, a node-wide OOM) starts
// one composer per crash, all at once, and each costs its floor (Node and the bundle, ~96 MiB)
// plus COMP_MEMORY_MIB of buffers. Every composer on the host takes a lease out of one budget
// (COMP_NODE_MEMORY_MIB, COMP_NODE_THREADS) before it sizes its buffers and libuv's pool:
//   - full: the lease fits; the composer runs as configured (threads: what the budget has left);
//   - lean: only a lean lease fits; COMP_MEMORY_MIB 32 (or less, as set), no release buffer,
//     one compression thread: slower, but the node's memory is not the one to give;
//   - wait: not even that fits; the composer waits for a holder to finish (the crashed process
//     stays held, costing nothing more: its memory is already counted against the node), up to
//     COMP_NODE_WAIT_MS, then goes on lean over the budget rather than lose the dump.
// Leases are records in HOST_DIR/.budget (host-leases.ts), so they hold across processes and die
// with their composer. All of it is synchronous: it runs before libuv's thread pool is sized.
import fs from 'node:fs';
import { ensureRecordDir, liveRecords, sleepSync, withLockSync, writeRecord } from '../shared/host-leases.ts';

/** A composer's cost beyond its buffers: a 4 MiB core peaks at 97-99 MiB RSS (bench/ANALYSIS.md). */
export const FLOOR_MIB = 96;
/** A lean composer's COMP_MEMORY_MIB: a 113 GiB zip, or a 96 GiB core stored, in 10,000 parts (README). */
export const LEAN_MEMORY_MIB = 32;
export const BUDGET_DIR = '.budget';
const LOCK_WAIT_MS = 2_000;
const POLL_MS = 25;

export interface BudgetSettings {
  /** COMP_NODE_MEMORY_MIB: all composers together, floors included; 0 turns the budget off. */
  readonly memoryMiB: number;
  /** COMP_NODE_THREADS: compression threads of all composers together. */
  readonly threads: number;
  /** COMP_NODE_WAIT_MS: how long a composer waits for room before it goes on over the budget. */
  readonly waitMs: number;
}

export type LeaseMode = 'full' | 'lean' | 'over' | 'off';

export interface LeaseTerms { readonly memoryMiB: number; readonly threads: number }

interface LeaseRecord extends LeaseTerms { readonly mode: LeaseMode; readonly until: number }

export interface Lease extends LeaseTerms {
  readonly mode: LeaseMode;
  readonly waitedMs: number;
  /** Other composers holding leases when this one was granted. */
  readonly holders: number;
  /** Why the budget could not be used (a warning), when it could not. */
  readonly problem?: string;
  release(): void;
}

/** The cost of a lease against the budget: its buffers and its floor. */
const cost = (t: LeaseTerms) => FLOOR_MIB + t.memoryMiB;

/** What the budget grants on top of `used`, or undefined when the composer must wait. */
export function decideLease(used: { memoryMiB: number; threads: number; holders: number }, s: BudgetSettings, want: LeaseTerms): (LeaseTerms & { mode: LeaseMode }) | undefined {
  const freeThreads = Math.max(1, s.threads - used.threads);
  if (used.holders === 0 || used.memoryMiB + cost(want) <= s.memoryMiB) {
    return { mode: 'full', memoryMiB: want.memoryMiB, threads: Math.min(want.threads, freeThreads) };
  }
  const lean = leanTerms(want);
  return used.memoryMiB + cost(lean) <= s.memoryMiB ? { mode: 'lean', ...lean } : undefined;
}

/** What a lean (or over-budget) composer runs with: a composer set leaner than lean stays as set. */
function leanTerms(want: LeaseTerms): LeaseTerms {
  return { memoryMiB: Math.min(LEAN_MEMORY_MIB, want.memoryMiB), threads: 1 };
}

/** No composer outlives COMP_TIMEOUT's maximum (7 days) by much: a later `until` is not ours. */
const MAX_LEASE_MS = 8 * 24 * 3600 * 1000;

/** A record we could have written; anything else in the directory is not counted. */
function wellFormed(r: LeaseRecord): boolean {
  const count = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  return count(r.memoryMiB) && count(r.threads) && typeof r.until === 'number' && r.until <= Date.now() + MAX_LEASE_MS;
}

/**
 * Takes a lease in `dir` for `want`; waits (blocking: nothing else may run yet) while the budget is
 * taken. `untilMs` (epoch ms) is when the record expires even if this process's pid lives on.
 */
export function takeLease(dir: string, s: BudgetSettings, want: LeaseTerms, untilMs: number): Lease {
  const started = Date.now();
  const off = (problem?: string): Lease => ({ mode: 'off', ...want, waitedMs: Date.now() - started, holders: 0, release() {}, ...(problem ? { problem } : {}) });
  if (s.memoryMiB === 0) return off();
  try {
    ensureRecordDir(dir);
    for (;;) {
      const overdue = Date.now() - started >= s.waitMs;
      const granted = withLockSync(dir, LOCK_WAIT_MS, 'CDC_NODE_BUDGET', () => {
        const held = liveRecords<LeaseRecord>(dir).map((r) => r.value).filter(wellFormed);
        const used = { memoryMiB: held.reduce((n, r) => n + cost(r), 0), threads: held.reduce((n, r) => n + r.threads, 0), holders: held.length };
        const terms = decideLease(used, s, want) ?? (overdue ? { mode: 'over' as const, ...leanTerms(want) } : undefined);
        if (!terms) return undefined;
        const file = writeRecord(dir, { ...terms, until: untilMs } satisfies LeaseRecord);
        return { ...terms, file, holders: held.length };
      });
      if (granted) {
        const { file, ...terms } = granted;
        const release = () => fs.rmSync(file, { force: true });
        process.once('exit', release); // whatever way the composer ends, the lease ends with it
        return { ...terms, waitedMs: Date.now() - started, release };
      }
      sleepSync(POLL_MS);
    }
  } catch (e) {
    // A broken budget directory must not cost the dump: go on as configured and say so.
    return off(`${dir}: ${(e as Error).message}`);
  }
}
