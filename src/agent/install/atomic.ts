// Atomic file placement in HOST_DIR: write a temp file in the same directory, fsync, chmod, rename
// over the target, fsync the directory. rename() replaces the directory entry, not the inode, so a
// composer still executing the old file keeps running ("Text file busy" cannot happen: we never
// open the old file for writing) and nobody can ever exec a half-written file.
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function place(tmp: string, target: string, mode: number): Promise<void> {
  try {
    const h = await fs.open(tmp, 'r+');
    try {
      await h.sync();
      await h.chmod(mode);
    } finally {
      await h.close();
    }
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(target));
}

export async function atomicWriteFile(target: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = tempName(target);
  await fs.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
  await place(tmp, target, mode);
}

export async function atomicCopyFile(source: string, target: string, mode: number): Promise<void> {
  const tmp = tempName(target);
  await fs.copyFile(source, tmp, fs.constants.COPYFILE_EXCL);
  await place(tmp, target, mode);
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True when target exists with the same bytes and mode: a restart then skips a 100+ MB node copy. */
export async function sameFile(source: string, target: string, mode: number): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.stat(source), fs.stat(target)]);
    if (a.size !== b.size || (b.mode & 0o7777) !== mode) return false;
    return (await sha256(source)) === (await sha256(target));
  } catch {
    return false;
  }
}

/** Removes temp files a killed agent left behind. */
export async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (/^\..+\.tmp-\d+-[0-9a-f]{8}$/.test(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}
