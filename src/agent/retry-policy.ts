// The one retry policy of the agent: exponential backoff with jitter, per file, never giving up.
// A dump that keeps failing stays on disk, is retried at the capped delay forever, and is counted
// in metrics (cdc_agent_dumps_failing) so someone sees it: silence is the failure mode we refuse.

export interface RetrySettings {
  /** Delay before the first retry, in milliseconds. */
  readonly baseDelayMs: number;
  /** Cap of any single delay, in milliseconds. */
  readonly maxDelayMs: number;
  /** Growth per failed attempt (dimensionless). */
  readonly factor: number;
  /** Fraction of the delay that is randomised, 0..1 (0.5 = "equal jitter"). */
  readonly jitter: number;
  /** From this many consecutive failures on, a file is logged at error level on each failure. */
  readonly alertAfterAttempts: number;
}

export const DEFAULT_RETRY: RetrySettings = Object.freeze({
  baseDelayMs: 5_000, // 5 s
  maxDelayMs: 10 * 60_000, // 10 min
  factor: 2,
  jitter: 0.5,
  alertAfterAttempts: 5,
});

export interface FileRetryState {
  readonly failures: number;
  /** Epoch ms before which the file is not tried again. */
  readonly nextAttemptAt: number;
  readonly lastError: string;
}

export interface Clock {
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };

/** The delay after `failures` consecutive failures (failures >= 1). */
export function backoffDelayMs(failures: number, s: RetrySettings, random: number): number {
  const exp = Math.min(s.maxDelayMs, s.baseDelayMs * Math.pow(s.factor, Math.max(0, failures - 1)));
  // The jittered part spreads retries of many files (and many nodes) so they do not stampede S3.
  return Math.round(exp * (1 - s.jitter) + exp * s.jitter * random);
}

/** Per-file failure bookkeeping. Keys are file names in the spool; state lives in memory only. */
export class RetryPolicy {
  private readonly states = new Map<string, FileRetryState>();
  readonly settings: RetrySettings;
  private readonly clock: Clock;

  constructor(settings: RetrySettings = DEFAULT_RETRY, clock: Clock = systemClock) {
    this.settings = settings;
    this.clock = clock;
  }

  /** True when the file may be tried now (never failed, or its backoff has passed). */
  due(name: string): boolean {
    const s = this.states.get(name);
    return s === undefined || s.nextAttemptAt <= this.clock.now();
  }

  /** Whether the next attempt of this file is a retry (for the retried counter). */
  isRetry(name: string): boolean {
    return this.states.has(name);
  }

  failed(name: string, error: string): FileRetryState {
    const failures = (this.states.get(name)?.failures ?? 0) + 1;
    const delay = backoffDelayMs(failures, this.settings, this.clock.random());
    const state = { failures, nextAttemptAt: this.clock.now() + delay, lastError: error };
    this.states.set(name, state);
    return state;
  }

  /** Success, or the file is gone: forget it. */
  clear(name: string): void {
    this.states.delete(name);
  }

  get(name: string): FileRetryState | undefined {
    return this.states.get(name);
  }

  /** Files currently in backoff (they stay on disk and in this count until they succeed). */
  failingCount(): number {
    return this.states.size;
  }

  /** Milliseconds until the earliest pending retry, or undefined when none is pending. */
  msUntilNextDue(): number | undefined {
    let earliest: number | undefined;
    for (const s of this.states.values()) earliest = earliest === undefined ? s.nextAttemptAt : Math.min(earliest, s.nextAttemptAt);
    return earliest === undefined ? undefined : Math.max(0, earliest - this.clock.now());
  }

  /** Drops state of files that no longer exist (deleted by hand, say). */
  retain(names: Set<string>): void {
    for (const k of this.states.keys()) if (!names.has(k)) this.states.delete(k);
  }
}
