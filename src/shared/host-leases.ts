// What the composers on one host share through a directory: one record file per holder,
// {pid}.{random}.json, read and changed under a lock that is a directory (mkdir is atomic: whoever
// creates it holds it). The spool's disk reservations and the node-wide budget are both built on it.
// A record whose process is gone, or whose `until` (ms since the epoch) has passed because the pid
// may have been reused, is removed by the next one to look. The directory is hostile ground: a
// symlink in place of it or of a record is never followed.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CdcError, type ErrorCode } from './errors.ts';
import { readRegularTextSync } from './spool/files.ts';

const LOCK = '.lock';
/** A lock older than this was left by a killed composer: a critical section takes milliseconds. */
const STALE_LOCK_MS = 5_000;
const RECORD = /^(\d+)\.[0-9a-f]+\.json$/;
const MAX_RECORD_BYTES = 4096;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A fresh record name of this process. */
export function recordName(): string {
  return `${process.pid}.${randomBytes(4).toString('hex')}.json`;
}

/** The live records of `dir` (parsed); those of dead holders, expired ones and garbage are removed. */
export function liveRecords<T extends object>(dir: string): Array<{ name: string; value: T }> {
  const out: Array<{ name: string; value: T }> = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  const now = Date.now();
  for (const name of names) {
    const m = RECORD.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (!pidAlive(Number(m[1]))) {
      fs.rmSync(file, { force: true });
      continue;
    }
    let value: T & { until?: unknown };
    try {
      value = JSON.parse(readRegularTextSync(file, MAX_RECORD_BYTES).text) as T & { until?: unknown };
    } catch {
      continue; // being written or removed: the next look counts it
    }
    if (typeof value.until === 'number' && value.until < now) {
      fs.rmSync(file, { force: true });
      continue;
    }
    out.push({ name, value });
  }
  return out;
}

/** Writes a new record (never through a symlink, never over another file); returns its path. */
export function writeRecord(dir: string, value: object): string {
  const file = path.join(dir, recordName());
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(value));
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/** Creates `dir` (0700) if missing; refuses anything there that is not a real directory. */
export function ensureRecordDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (!fs.lstatSync(dir).isDirectory()) throw new CdcError('CDC_FILE_UNSAFE', `${dir} is not a directory (a symlink is never followed)`);
}

/** One try at the lock of `dir`; a lock left by a killed holder is broken. */
function tryLock(dir: string): boolean {
  const lock = path.join(dir, LOCK);
  try {
    fs.mkdirSync(lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = fs.lstatSync(lock, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) unlock(dir); // rmdir: rmSync refuses a directory
    return false;
  }
}

function unlock(dir: string): void {
  try {
    fs.rmdirSync(path.join(dir, LOCK));
  } catch {
    // broken as stale by another: nothing left to release
  }
}

const backoffMs = () => 2 + Math.random() * 8;

function lockTimeout(dir: string, waitMs: number, code: ErrorCode): CdcError {
  return new CdcError(code, `lock ${path.join(dir, LOCK)} held for over ${waitMs} ms`);
}

/** Runs `fn` holding the lock of `dir`, waiting for it up to `waitMs` without blocking the event loop. */
export async function withLock<T>(dir: string, waitMs: number, code: ErrorCode, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + waitMs;
  while (!tryLock(dir)) {
    if (Date.now() > until) throw lockTimeout(dir, waitMs, code);
    await new Promise((r) => setTimeout(r, backoffMs()));
  }
  try {
    return await fn();
  } finally {
    unlock(dir);
  }
}

/** Sleeps the whole thread: for work that must finish before libuv's pool is first used. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** withLock for code that may not yield (before the thread pool is sized). */
export function withLockSync<T>(dir: string, waitMs: number, code: ErrorCode, fn: () => T): T {
  const until = Date.now() + waitMs;
  while (!tryLock(dir)) {
    if (Date.now() > until) throw lockTimeout(dir, waitMs, code);
    sleepSync(backoffMs());
  }
  try {
    return fn();
  } finally {
    unlock(dir);
  }
}
