// COMP_RATE_LIMIT: a container in CrashLoopBackOff can dump hundreds of cores an hour, each holding
// the node's CPU and the bucket. Per container, at most N full dumps per window; beyond that the
// dump is a small zip without the core (read at pipe speed, so the pod is released at once).
// The decision is taken before the core is read, so it is per container; the fingerprint (known
// only once the stack has streamed by) is counted after, for "3rd time in 1 h".
//
// State: HOST_DIR/rate/{hash of the key}.json, a list of recent crashes. Concurrent composers
// serialise on an O_EXCL lock file beside it (a lock older than STALE_LOCK_MS is a dead
// composer's and is broken); the state is read without following links and replaced atomically.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/log.ts';
import { describeError } from '../shared/errors.ts';
import { createExclusive, ensureDirSync, readRegularText, writeFileAtomic } from '../shared/spool/index.ts';
import type { CrashContext } from './crash-context.ts';

const STALE_LOCK_MS = 5_000;
const LOCK_WAIT_MS = 1_000;
/** Crashes remembered per key: enough to count a loop, bounded whatever the loop does. */
const MAX_ENTRIES = 512;
const MAX_STATE_BYTES = 128 << 10;

export interface RateLimit { readonly count: number; readonly windowSec: number }

interface Entry { t: number; id: string; full: boolean; fp?: string }

/** The key a crash is limited by: its container, else (COMP_RATE_LIMIT_HOST) its executable; undefined: not limited. */
export function rateKey(ctx: CrashContext, config: Config): string | undefined {
  const m = ctx.meta;
  if (m?.container && !m.hostCrash) return `container:${m.pod?.namespace ?? '?'}/${m.pod?.name ?? '?'}/${m.container}`;
  if (config.rateLimitHost) return `host:${ctx.proc?.exe ?? ctx.args.exeName ?? '?'}`;
  return undefined;
}

export interface RateState {
  /** Whether this crash gets its core (false: over the limit). */
  readonly full: boolean;
  /** Full dumps of this key in the window before this one. */
  readonly fullBefore: number;
  /** Counts this crash's fingerprint; returns how often it was seen in the window, this one included. */
  recordFingerprint(fp: string): Promise<number | undefined>;
}

function stateFile(config: Config, key: string): string {
  return path.join(config.hostDir, 'rate', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

async function locked<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await createExclusive(lock)).close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await fs.lstat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) await fs.rm(lock, { force: true });
      if (Date.now() > until) throw new Error(`rate-limit lock ${lock} held for over ${LOCK_WAIT_MS} ms`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function readEntries(file: string, since: number): Promise<Entry[]> {
  try {
    const v: unknown = JSON.parse((await readRegularText(file, MAX_STATE_BYTES)).text);
    if (!Array.isArray(v)) return [];
    return v.filter((e): e is Entry => typeof e?.t === 'number' && typeof e.id === 'string' && typeof e.full === 'boolean' && e.t >= since);
  } catch {
    return []; // missing, unsafe or garbled: start over (the worst case is one more full dump)
  }
}

/** Takes this crash's slot in the window; failing to read the state means a full dump (capture rather than lose). */
export async function checkRate(ctx: CrashContext, config: Config, log: Logger, now = Date.now()): Promise<RateState | undefined> {
  const limit = config.rateLimit;
  const key = limit && rateKey(ctx, config);
  if (!limit || !key) return undefined;
  const file = stateFile(config, key);
  const since = now - limit.windowSec * 1000;
  try {
    ensureDirSync(path.dirname(file));
    const me: Entry = { t: now, id: randomBytes(6).toString('hex'), full: true };
    const fullBefore = await locked(file, async () => {
      const entries = await readEntries(file, since);
      const n = entries.filter((e) => e.full).length;
      me.full = n < limit.count;
      await writeFileAtomic(file, JSON.stringify([...entries, me].slice(-MAX_ENTRIES)));
      return n;
    });
    return {
      full: me.full, fullBefore,
      recordFingerprint: (fp) => locked(file, async () => {
        const entries = await readEntries(file, since);
        const mine = entries.find((e) => e.id === me.id);
        if (mine) mine.fp = fp;
        await writeFileAtomic(file, JSON.stringify(entries.slice(-MAX_ENTRIES)));
        return entries.filter((e) => e.fp === fp).length;
      }).catch((e: unknown) => {
        log.warn({ event: 'RateStateFailed', code: 'CDC_RATE_STATE', err: describeError(e) }, 'crash count not recorded');
        return undefined;
      }),
    };
  } catch (e) {
    log.warn({ event: 'RateStateFailed', code: 'CDC_RATE_STATE', key, err: describeError(e) }, 'rate-limit state unusable; taking a full dump');
    return undefined;
  }
}
