// Whether an installed file already holds the bytes we would copy: a restart then skips copying the
// 100+ MB Node runtime onto the node. The installed copy is read through a checked descriptor.
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { openRegular } from '../../shared/spool/index.ts';

async function sha256(fh: fs.FileHandle): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fh.createReadStream({ start: 0, autoClose: false })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function digestOf(file: string, opened: boolean): Promise<{ size: number; mode: number; digest: () => Promise<string>; close: () => Promise<void> }> {
  const o = opened ? await openRegular(file) : await fs.open(file, 'r').then(async (fh) => ({ fh, ...(await fh.stat()) }));
  return { size: o.size, mode: o.mode, digest: () => sha256(o.fh), close: () => o.fh.close() };
}

/** True when `target` (in HOST_DIR) exists as a regular file with the bytes and mode of `source`. */
export async function sameFile(source: string, target: string, mode: number): Promise<boolean> {
  const opened: Awaited<ReturnType<typeof digestOf>>[] = [];
  try {
    const a = await digestOf(source, false);
    opened.push(a);
    const b = await digestOf(target, true);
    opened.push(b);
    if (a.size !== b.size || (b.mode & 0o7777) !== mode) return false;
    return (await a.digest()) === (await b.digest());
  } catch {
    return false;
  } finally {
    for (const o of opened) await o.close().catch(() => {});
  }
}
