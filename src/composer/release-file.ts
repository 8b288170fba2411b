// The release buffer on disk. The core bytes read ahead so the kernel can free the crashed process
// (core-source.ts) go into a nameless file in CORE_DIR rather than the composer's heap: page cache
// the kernel can write back and reclaim if the node runs short, where the heap is held until the
// composer ends (nodes rarely have swap). Read back within seconds, the file is dropped before
// writeback would start. Measured on a 64 MiB core through deflate-1 (4 alternating runs each):
// peak RSS 147-155 MiB with the buffer here, 162-168 MiB with it in memory.
// The file has no name (O_TMPFILE), so nothing in CORE_DIR can be swapped in for it and nothing is
// left behind by a composer that dies. Where it cannot be had (tmpfs, which is memory anyway; too
// little free disk; a file system without O_TMPFILE), the buffer stays in memory.
import fs from 'node:fs';
import { availableBytes } from '../shared/spool-space.ts';

/** Linux O_TMPFILE without O_DIRECTORY (the same on x86_64 and arm64; O_DIRECTORY is not). */
const O_TMPFILE_BIT = 0o20000000;
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

export interface ReleaseFile {
  /** Appends the chunk; false if the disk refused it (nothing of it is kept then). */
  write(chunk: Buffer): boolean;
  /** Reads the next bytes into `into` (from where the last read stopped); 0 at the end of what was written. */
  read(into: Buffer): number;
  /** Bytes written and not yet read. */
  readonly unread: number;
  close(): void;
}

/**
 * A release file in `dir` for up to `bytes`, or undefined (keep the buffer in memory) where the
 * directory is in memory, lacks `bytes` beyond `minFreeBytes`, or cannot hold a nameless file.
 */
export function openReleaseFile(dir: string, bytes: number, minFreeBytes: number): ReleaseFile | undefined {
  let fd: number;
  try {
    const st = fs.statfsSync(dir);
    if (st.type === TMPFS_MAGIC || st.type === RAMFS_MAGIC) return undefined;
    if (availableBytes(st) - minFreeBytes < bytes) return undefined;
    // O_NOFOLLOW: a CORE_DIR that is itself a symlink is refused (ELOOP), as for every spool file.
    fd = fs.openSync(dir, fs.constants.O_RDWR | fs.constants.O_DIRECTORY | O_TMPFILE_BIT | fs.constants.O_NOFOLLOW, 0o600);
  } catch {
    return undefined;
  }
  let written = 0;
  let readAt = 0;
  let open = true;
  return {
    write(chunk) {
      let done = 0;
      try {
        while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done, written + done);
      } catch {
        return false; // ENOSPC, EIO: the bytes written of this chunk are ignored (written not advanced)
      }
      written += chunk.length;
      return true;
    },
    read(into) {
      const n = fs.readSync(fd, into, 0, Math.min(into.length, written - readAt), readAt);
      readAt += n;
      return n;
    },
    get unread() { return written - readAt; },
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd); // nameless: closing it frees its blocks and pages
    },
  };
}
