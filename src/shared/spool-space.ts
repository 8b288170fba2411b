// Disk safety for the spool directory, like systemd-coredump's MaxUse / KeepFree: a dump must never
// fill the node's disk. Many composers may spool at once (a burst of crashes with S3 down), so space
// is reserved before a byte is written, under a lock shared by every composer on the host, and
// released when the file is committed (then it counts as itself) or discarded.
//
//   CORE_DIR/.reservations/            one record per reservation (host-leases.ts): { file, bytes }
import fs from 'node:fs/promises';
import path from 'node:path';
import { CdcError } from './errors.ts';
import { ensureDirSync, writeFileAtomic } from './spool/files.ts';
import { liveRecords, recordName, withLock } from './host-leases.ts';
import { RESERVATIONS_DIR } from './spool/names.ts';

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

const LOCK_WAIT_MS = 10_000;

/** Free bytes on a file system as statfs gives them. */
export function availableBytes(st: { bavail: number | bigint; bsize: number | bigint }): number {
  // bavail, not bfree: root may write into the reserved blocks, but they are the node's last resort.
  return Number(st.bavail) * Number(st.bsize);
}

/**
 * The size of each regular file by name, and the bytes they use together. A file is counted once
 * per inode: a commit links `.part` to its final name before it unlinks the `.part`, and for that
 * moment one file has two names.
 */
async function fileBytes(dir: string): Promise<{ sizes: Map<string, number>; usedBytes: number }> {
  const sizes = new Map<string, number>();
  const inodes = new Map<number, number>();
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
    const s = await fs.lstat(path.join(dir, n)).catch(() => undefined);
    if (!s?.isFile()) continue;
    sizes.set(n, s.size);
    inodes.set(s.ino, s.size);
  }
  return { sizes, usedBytes: [...inodes.values()].reduce((a, b) => a + b, 0) };
}

/** The live reservations ({ file, bytes }); those of dead composers are removed. */
function liveReservations(dir: string): Array<{ file: string; bytes: number }> {
  return liveRecords<{ file: string; bytes: number }>(path.join(dir, RESERVATIONS_DIR)).map((r) => r.value);
}

/** The spool's use and headroom, counting what running composers have reserved (throws if `dir` is missing). */
export async function checkSpoolSpace(dir: string, limits: SpoolLimits): Promise<SpoolSpace> {
  const freeBytes = availableBytes(await fs.statfs(dir));
  // Reservations first, files second. A composer renames its `.part` and only then releases, both
  // outside the lock: read in the other order, a file renamed after the listing and released
  // before the reservations were read counted nowhere (the 16-crash burst once spooled 151 MiB
  // under a 128 MiB cap). In this order a rename in between is counted twice at worst.
  const reserved = liveReservations(dir);
  const { sizes, usedBytes } = await fileBytes(dir);
  const promised = reserved.reduce((n, r) => n + Math.max(0, r.bytes - (sizes.get(r.file) ?? 0)), 0);
  const headroomBytes = Math.max(0, Math.min(limits.maxBytes - usedBytes - promised, freeBytes - limits.minFreeBytes - promised));
  let reason: string | undefined;
  if (usedBytes >= limits.maxBytes) reason = `spool holds ${usedBytes} bytes, cap is ${limits.maxBytes} (SPOOL_MAX_BYTES)`;
  else if (freeBytes <= limits.minFreeBytes) reason = `disk has ${freeBytes} bytes free, floor is ${limits.minFreeBytes} (SPOOL_MIN_FREE_BYTES)`;
  return reason ? { ok: false, usedBytes, freeBytes, headroomBytes: 0, reason } : { ok: true, usedBytes, freeBytes, headroomBytes };
}

/** Space one spool file may use; grows in steps under the lock, so concurrent dumps never pass the limits together. */
export class SpoolReservation {
  readonly #dir: string;
  readonly #limits: SpoolLimits;
  readonly #record: string;
  readonly #file: string;
  #bytes = 0;
  #released = false;

  private constructor(dir: string, limits: SpoolLimits, file: string) {
    this.#dir = dir;
    this.#limits = limits;
    this.#file = file;
    this.#record = path.join(dir, RESERVATIONS_DIR, recordName());
  }

  /**
   * Reserves up to `bytes` for `file` (a bare name in `dir`): less when less is left, CDC_SPOOL_FULL
   * when nothing is.
   */
  static async take(dir: string, limits: SpoolLimits, file: string, bytes: number): Promise<SpoolReservation> {
    ensureDirSync(path.join(dir, RESERVATIONS_DIR));
    const r = new SpoolReservation(dir, limits, file);
    await r.grow(bytes, 1);
    return r;
  }

  get bytes(): number { return this.#bytes; }

  /**
   * Raises the reservation to `wanted` bytes, or to no less than `needed` when that is all there is
   * room for; throws CDC_SPOOL_FULL (keeping what it had) when not even `needed` fits.
   */
  async grow(wanted: number, needed = wanted): Promise<void> {
    if (this.#released) throw new Error('reservation already released');
    if (needed <= this.#bytes) return;
    await withLock(path.join(this.#dir, RESERVATIONS_DIR), LOCK_WAIT_MS, 'CDC_SPOOL_FAILED', async () => {
      const space = await checkSpoolSpace(this.#dir, this.#limits);
      const size = (await fs.lstat(path.join(this.#dir, this.#file)).catch(() => undefined))?.size ?? 0;
      // The headroom already deducts what we hold but have not written yet: that part is ours to use.
      const room = space.ok ? size + space.headroomBytes + Math.max(0, this.#bytes - size) : 0;
      if (needed > room) {
        throw new CdcError('CDC_SPOOL_FULL', space.reason ?? `${needed} bytes for ${this.#file} would pass the spool limits (room for ${room})`, { usedBytes: space.usedBytes, freeBytes: space.freeBytes });
      }
      const total = Math.min(wanted, room);
      await writeFileAtomic(this.#record, JSON.stringify({ file: this.#file, bytes: total }));
      this.#bytes = total;
    });
  }

  /** Gives the space back (the file is committed, so it counts as itself, or it was removed). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await fs.rm(this.#record, { force: true });
  }
}
