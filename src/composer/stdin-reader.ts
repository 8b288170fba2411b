// The kernel's pipe read straight into 1 MiB blocks. process.stdin allocates a fresh 64 KiB buffer
// for every read(2) and sends each through the stream machinery: 16,384 buffers and callbacks per
// GiB of core, which V8 frees late (the composer's peak RSS) and which cost the main thread time
// the compressor wants. net.Socket's `onread` lets read(2) land in a buffer we hand it, so the core
// arrives as whole blocks, and a consumer that copies them (the compressor) hands them back for
// reuse. Still non-blocking on the main thread: no read() waits in libuv's pool.
// The first block is handed on read by read: it holds the core's notes, from which triage opens
// the crashed process's files while the kernel still holds it. A small core is written whole
// before a block fills, and the process may be gone by then.
import net from 'node:net';
import { Readable } from 'node:stream';
import { freeNow } from '../shared/gc-pacer.ts';
import { widenPipe } from './pipe-size.ts';

export const READ_BLOCK_BYTES = 1 << 20;
/** Blocks kept for reuse; more come back only as a release buffer drains, and are freed at once. */
const FREE_BLOCKS = 4;

export interface BlockStdin extends Readable {
  /** A block the consumer has copied: it may be filled again. Anything else is ignored. */
  recycle(buf: Buffer): void;
  /** Bytes read but not yet pushed (a block being filled): for a cut, so no read byte is lost. */
  takePending(): Buffer | undefined;
  /** Grows the pipe to one block (pipe-size.ts); the size it got, or undefined where it cannot. */
  widen(): number | undefined;
}

/** fd 0 as a BlockStdin when it is a pipe or socket; otherwise (a file, a tty) process.stdin. */
export function openStdin(): Readable {
  try {
    return blockStdin(0);
  } catch {
    return process.stdin; // ERR_INVALID_FD_TYPE: not a stream net.Socket can wrap
  }
}

export function blockStdin(fd: number): BlockStdin {
  const owned = new WeakSet<Buffer>();
  const free: Buffer[] = [];
  const fresh = (): Buffer => {
    const b = free.pop() ?? Buffer.allocUnsafe(READ_BLOCK_BYTES);
    owned.add(b);
    return b;
  };
  let cur = fresh();
  let fill = 0;
  let sent = 0; // bytes of `cur` already pushed (the first block only)
  let early = true;
  let ended = false;
  const nextBlock = () => { cur = fresh(); fill = 0; sent = 0; };
  const out = new Readable({
    highWaterMark: READ_BLOCK_BYTES,
    read() { if (!ended) sock.resume(); },
    destroy(err, cb) { sock.destroy(); cb(err); },
  }) as BlockStdin;
  const sock = new net.Socket({
    fd, readable: true, writable: false,
    onread: {
      buffer: () => cur.subarray(fill),
      callback(n: number) {
        fill += n;
        if (!early && fill < READ_BLOCK_BYTES) return true;
        // A whole block is handed on as itself, so the consumer can hand it back (recycle).
        const chunk = sent === 0 && fill === READ_BLOCK_BYTES ? cur : cur.subarray(sent, fill);
        sent = fill;
        if (fill === READ_BLOCK_BYTES) { early = false; nextBlock(); }
        return out.push(chunk); // false pauses the socket until read() is called again
      },
    },
  });
  sock.on('end', () => {
    ended = true;
    const rest = out.takePending();
    if (rest) out.push(rest);
    out.push(null);
  });
  sock.on('error', (e) => out.destroy(e));
  sock.on('close', () => { if (!ended) out.destroy(); });
  out.recycle = (buf) => {
    if (!owned.has(buf) || buf.length !== READ_BLOCK_BYTES) return;
    owned.delete(buf);
    if (!ended && free.length < FREE_BLOCKS) free.push(buf);
    else freeNow(buf); // a drained release buffer is given back as it drains, not at the next GC
  };
  out.widen = () => widenPipe(fd, READ_BLOCK_BYTES);
  out.takePending = () => {
    if (fill === sent) return undefined;
    const rest = cur.subarray(sent, fill);
    nextBlock();
    return rest;
  };
  return out;
}
