// core_pattern is global to the machine. Tests that set it hold an exclusive lock (so no two run
// at once, even across tap processes) and restore the old value on every exit path.
import fs from 'node:fs';

const PATTERN = '/proc/sys/kernel/core_pattern';
const PIPE_LIMIT = '/proc/sys/kernel/core_pipe_limit';
const LOCK = '/tmp/cdc-core-pattern.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquire(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(`${LOCK}/pid`, String(process.pid));
      return;
    } catch {
      const owner = Number(fs.readFileSync(`${LOCK}/pid`, { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !alive(owner)) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`core_pattern lock ${LOCK} held by pid ${owner}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function readCorePattern(): string {
  return fs.readFileSync(PATTERN, 'utf8').replace(/\n$/, '');
}

/** Runs fn with core_pattern (and optionally core_pipe_limit) set, restoring both afterwards. */
export async function withCorePattern<T>(pattern: string, fn: () => Promise<T>, pipeLimit?: number): Promise<T> {
  if (Buffer.byteLength(pattern) > 127) throw new Error(`core_pattern over 127 bytes: ${pattern}`);
  await acquire(10 * 60_000);
  const oldPattern = readCorePattern();
  const oldLimit = fs.readFileSync(PIPE_LIMIT, 'utf8').trim();
  const restore = () => {
    try {
      fs.writeFileSync(PATTERN, oldPattern);
      fs.writeFileSync(PIPE_LIMIT, oldLimit);
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', restore);
  try {
    fs.writeFileSync(PATTERN, pattern);
    if (pipeLimit !== undefined) fs.writeFileSync(PIPE_LIMIT, String(pipeLimit));
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', restore);
    restore();
  }
}
