// The kernel writes the core into a 64 KiB pipe, and the crashed process sleeps each time it is
// full until we read. Every such hand-off between two CPUs costs a wakeup, and on a VM a wakeup
// across vCPUs is dear: here 1 GiB went through a 64 KiB pipe in 1.85 s and through a 1 MiB one
// in 0.56-0.84 s (dd into dd), and zstd-1 on the bench's 1 GiB compressible core took 3.6-3.9 s
// against 2.6-2.7 s. Node has no fcntl(2), so F_SETPIPE_SZ goes through node:ffi (shared/libc.ts).
// Anything missing (no node:ffi, not a pipe, over /proc/sys/fs/pipe-max-size) leaves the pipe as
// it was: a slower read, never a lost dump.
// Only once the crashed process is needed no more (dump-stream.ts openCore): a larger pipe lets
// the kernel finish a small core and free the process at once.

import { fcntl } from '../shared/libc.ts';

const F_SETPIPE_SZ = 1031;

/**
 * Asks for a pipe of `bytes` on `fd`; returns the size the kernel gave (it rounds up to a power of
 * two pages), or undefined when the pipe stays as it was.
 */
export function widenPipe(fd: number, bytes: number): number | undefined {
  const got = fcntl(fd, F_SETPIPE_SZ, bytes);
  return got !== undefined && got > 0 ? got : undefined;
}
