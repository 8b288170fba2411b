// One file being spooled: written as `<final>.part`, fsynced, then renamed to `<final>` so a file
// with the final name is always whole. Any failure (disk full, the spool headroom used up, abort)
// removes the `.part`, so nothing that looks like a dump is left half written.
import fs from 'node:fs/promises';
import { CdcError } from '../../shared/errors.ts';
import { commitFile, createExclusive, partFile } from '../../shared/spool/index.ts';
import type { SpoolReservation } from '../../shared/spool-space.ts';
import { totalBytes } from '../../shared/buffers.ts';

/** Reservations grow in steps this large: few lock round trips, little space held idle. */
const RESERVE_STEP = 16 * 1024 * 1024;

export class SpoolFile {
  readonly finalPath: string;
  readonly partPath: string;
  #fh: fs.FileHandle | null;
  #bytes = 0;
  readonly #space: SpoolReservation;
  #state: 'open' | 'committed' | 'discarded' = 'open';

  private constructor(finalPath: string, fh: fs.FileHandle, space: SpoolReservation) {
    this.finalPath = finalPath;
    this.partPath = partFile(finalPath);
    this.#fh = fh;
    this.#space = space;
  }

  /**
   * Creates `<finalPath>.part` (0600, must not exist, not even as a link). `space` is the spool
   * space reserved for it (shared with every composer on the host); it grows as the file does.
   */
  static async create(finalPath: string, space: SpoolReservation): Promise<SpoolFile> {
    try {
      return new SpoolFile(finalPath, await createExclusive(partFile(finalPath)), space);
    } catch (e) {
      await space.release();
      throw new CdcError('CDC_SPOOL_FAILED', `cannot create ${partFile(finalPath)}: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  get bytes(): number { return this.#bytes; }

  /** Appends chunks in order. On any error the `.part` is removed before the error is thrown. */
  async write(chunks: readonly Buffer[]): Promise<void> {
    if (this.#state !== 'open' || !this.#fh) throw new Error(`${this.partPath} is not open`);
    let todo = chunks.filter((c) => c.length > 0);
    const size = totalBytes(todo);
    const needed = this.#bytes + size;
    if (needed > this.#space.bytes) {
      try {
        await this.#space.grow(needed + RESERVE_STEP, needed);
      } catch (e) {
        await this.discard();
        throw new CdcError('CDC_SPOOL_FULL', `dump grew past the spool's room at ${this.#space.bytes} bytes (${(e as Error).message}); ${this.partPath} removed`);
      }
    }
    try {
      while (todo.length > 0) {
        // writev may write less than asked (a signal, a nearly full disk): continue where it stopped.
        let { bytesWritten } = await this.#fh.writev(todo);
        this.#bytes += bytesWritten;
        while (todo.length > 0 && bytesWritten >= todo[0]!.length) bytesWritten -= todo.shift()!.length;
        if (bytesWritten > 0) todo[0] = todo[0]!.subarray(bytesWritten);
      }
    } catch (e) {
      await this.discard();
      throw spoolError(e, this.partPath);
    }
  }

  /** fsync, close, rename to the final name, fsync the directory. Returns the bytes written. */
  async commit(): Promise<number> {
    if (this.#state !== 'open' || !this.#fh) throw new Error(`${this.partPath} is not open`);
    const fh = this.#fh;
    this.#fh = null;
    try {
      await commitFile(fh, this.partPath, this.finalPath, false); // never over another dump
      this.#state = 'committed';
      await this.#space.release(); // the committed file counts as itself from now on
      return this.#bytes;
    } catch (e) {
      await this.discard();
      throw spoolError(e, this.partPath);
    }
  }

  /** Closes and removes the `.part` (never the committed file). Safe to call twice. */
  async discard(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'discarded';
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
    await fs.unlink(this.partPath).catch(() => {});
    await this.#space.release();
  }

  /** Removes the committed file (for a partial upload aborted before its manifest was written). */
  async removeCommitted(): Promise<void> {
    if (this.#state === 'committed') await fs.unlink(this.finalPath).catch(() => {});
    else await this.discard();
  }
}

function spoolError(e: unknown, file: string): CdcError {
  const code = (e as NodeJS.ErrnoException).code;
  const what = code === 'ENOSPC' ? 'disk full (ENOSPC)' : code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT)' : (e as Error).message;
  return new CdcError('CDC_SPOOL_FAILED', `${what} while writing ${file}; the partial file was removed`, { errno: code }, { cause: e });
}
