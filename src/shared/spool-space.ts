// Disk safety for the spool directory, like systemd-coredump's MaxUse / KeepFree: a dump must never
// fill the node's disk. Used by the composer before (and while) spooling and by the agent.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SpoolLimits {
  /** Cap on the bytes of all files in the spool directory (0: no spooling at all). */
  maxBytes: number;
  /** Free bytes the disk must keep. */
  minFreeBytes: number;
}

export interface SpoolSpace {
  ok: boolean;
  /** Bytes of the regular files already in the directory. */
  usedBytes: number;
  /** Bytes available to unprivileged writers on the directory's file system. */
  freeBytes: number;
  /** How many more bytes may be spooled before a limit is hit (0 when !ok). */
  headroomBytes: number;
  /** Why not ok, for logs and error details. */
  reason?: string;
}

/** Sums the regular files in the spool directory and asks the file system (throws if `dir` is missing). */
export async function checkSpoolSpace(dir: string, limits: SpoolLimits): Promise<SpoolSpace> {
  const st = await fs.statfs(dir);
  // bavail, not bfree: root may write into the reserved blocks, but they are the node's last resort.
  const freeBytes = Number(st.bavail) * Number(st.bsize);
  let usedBytes = 0;
  let names: string[] = [];
  try { names = await fs.readdir(dir); } catch { /* unreadable: count as empty, statfs already worked */ }
  for (const n of names) {
    try {
      const s = await fs.lstat(path.join(dir, n));
      if (s.isFile()) usedBytes += s.size;
    } catch { /* removed meanwhile */ }
  }
  const headroomBytes = Math.max(0, Math.min(limits.maxBytes - usedBytes, freeBytes - limits.minFreeBytes));
  let reason: string | undefined;
  if (usedBytes >= limits.maxBytes) reason = `spool holds ${usedBytes} bytes, cap is ${limits.maxBytes} (SPOOL_MAX_BYTES)`;
  else if (freeBytes <= limits.minFreeBytes) reason = `disk has ${freeBytes} bytes free, floor is ${limits.minFreeBytes} (SPOOL_MIN_FREE_BYTES)`;
  return reason ? { ok: false, usedBytes, freeBytes, headroomBytes: 0, reason } : { ok: true, usedBytes, freeBytes, headroomBytes };
}
