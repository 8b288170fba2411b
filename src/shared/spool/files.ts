// The only file operations the composer and the agent use on CORE_DIR, EVENT_DIR and HOST_DIR.
// Every file there is treated as hostile: another root process, a container with a hostPath mount
// or an operator's mistake may have put a symlink, a FIFO or a huge file where ours should be.
// So: new files are created exclusively and never through a link; files are read only through a
// descriptor that was checked to be a regular file owned by us (root in production), so a name
// swapped after the check changes nothing; and what is renamed into place is fsynced first.
import { constants as C } from 'node:fs';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CdcError } from '../errors.ts';

const CREATE = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
// O_NONBLOCK: opening a FIFO planted under our name must not hang the agent or the composer.
const READ = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;
const MAX_DEPTH = 32;

/** Creates `file` (mode `mode`), failing if anything, a link included, already has the name. */
export function createExclusive(file: string, mode = 0o600): Promise<fs.FileHandle> {
  return fs.open(file, CREATE, mode);
}

/** Makes renames and creations in `dir` durable. Best effort: some file systems refuse it. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, C.O_RDONLY | C.O_DIRECTORY).catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close().catch(() => {});
}

/**
 * fsyncs and closes `fh` (written as `from`), puts it at `to`, then makes that durable. With
 * `replace: false` an existing `to` is never replaced (EEXIST): link, then unlink, so the move is
 * still atomic and a dump can never overwrite another.
 */
export async function commitFile(fh: fs.FileHandle, from: string, to: string, replace = true): Promise<void> {
  try {
    await fh.sync(); // ENOSPC can surface only here on some file systems
  } finally {
    await fh.close();
  }
  if (replace) await fs.rename(from, to);
  else {
    await fs.link(from, to);
    await fs.unlink(from);
  }
  await syncDir(path.dirname(to));
}

/** A hidden, unique temp name beside `target`; removeStaleTemps() knows the pattern. */
export function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

const STALE_TEMP = /^\..+\.tmp-\d+-[0-9a-f]{8}$/;

/**
 * Writes `target` so that no reader ever sees it half written: a temp file created exclusively,
 * filled, chmod'ed, fsynced and renamed over the target. rename() replaces the directory entry, not
 * the inode, so a process still executing or reading the old file is undisturbed.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = tempName(target);
  const fh = await createExclusive(tmp);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await commitFile(fh, tmp, target);
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** As writeFileAtomic, with the bytes of `source` (a file of our own image, not of the host). */
export async function copyFileAtomic(source: string, target: string, mode: number): Promise<void> {
  const tmp = tempName(target);
  await fs.copyFile(source, tmp, C.COPYFILE_EXCL);
  try {
    const fh = await fs.open(tmp, C.O_RDWR | C.O_NOFOLLOW);
    await fh.chmod(mode).catch(async (e: unknown) => { await fh.close(); throw e; });
    await commitFile(fh, tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Removes temp files of atomic writes that a killed process left in `dir`. */
export async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (STALE_TEMP.test(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}

export interface OpenedFile {
  readonly fh: fs.FileHandle;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mode: number;
}

/**
 * Opens `file` for reading only if it is a regular file, not a symlink, owned by the user we run
 * as (root in production). Everything after is read through the returned descriptor.
 * Throws CDC_FILE_UNSAFE for anything else, or the open's own error (ENOENT, ...).
 */
export async function openRegular(file: string): Promise<OpenedFile> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, READ);
  } catch (e) {
    throw openError(file, e);
  }
  try {
    const st = await fh.stat();
    checkRegular(file, st);
    return { fh, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function openError(file: string, e: unknown): unknown {
  return (e as NodeJS.ErrnoException).code === 'ELOOP' ? new CdcError('CDC_FILE_UNSAFE', `${file} is a symlink`) : e;
}

function checkRegular(file: string, st: fsSync.Stats): void {
  const owner = process.geteuid?.() ?? 0;
  if (!st.isFile()) throw new CdcError('CDC_FILE_UNSAFE', `${file} is not a regular file`);
  if (st.uid !== owner) throw new CdcError('CDC_FILE_UNSAFE', `${file} is owned by uid ${st.uid}, not ${owner}`);
}

/**
 * readRegularText without the thread pool: for the composer's .env, read before the pool is
 * sized (UV_THREADPOOL_SIZE counts only until the pool's first use).
 */
export function readRegularTextSync(file: string, maxBytes: number): { text: string; mtimeMs: number; mode: number } {
  let fd: number;
  try {
    fd = fsSync.openSync(file, READ);
  } catch (e) {
    throw openError(file, e);
  }
  try {
    const st = fsSync.fstatSync(fd);
    checkRegular(file, st);
    if (st.size > maxBytes) throw new CdcError('CDC_FILE_UNSAFE', `${file} has ${st.size} bytes, over ${maxBytes}`);
    return { text: fsSync.readFileSync(fd, 'utf8'), mtimeMs: st.mtimeMs, mode: st.mode };
  } finally {
    fsSync.closeSync(fd);
  }
}

/** The text of a small file, read through openRegular(); over `maxBytes` is refused. */
export async function readRegularText(file: string, maxBytes: number): Promise<{ text: string; mtimeMs: number; mode: number }> {
  const { fh, size, mtimeMs, mode } = await openRegular(file);
  try {
    if (size > maxBytes) throw new CdcError('CDC_FILE_UNSAFE', `${file} has ${size} bytes, over ${maxBytes}`);
    return { text: await fh.readFile('utf8'), mtimeMs, mode };
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p that cannot spin: Node's recursive mkdir loops forever on file systems that answer
 * ENOENT for a path whose parent exists (procfs, sysfs), which a misconfigured CORE_DIR can hit.
 */
export function ensureDirSync(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  let p = dir;
  for (let i = 0; i < MAX_DEPTH; i++) {
    try {
      if (fsSync.statSync(p).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const parent = p.replace(/\/[^/]*\/?$/, '') || '/';
      if (parent === p) break;
      p = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      fsSync.mkdirSync(d, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
