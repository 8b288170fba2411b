// The core on stdin, counted, and cut when it must stop: at RLIMIT_CORE, or when COMP_TIMEOUT runs
// out. Once cut, stdin is closed: the kernel then stops writing and releases the crashed process
// at once, and the core entry ends with what was read (dump-info says so, and why).
// Over COMP_MAX_CORE_MIB, or where the upload's part limit is near, the entry is cut too, but the
// rest is still read (at pipe speed: nothing is compressed or stored) and shown to the observer,
// so triage sees the whole core and the kernel is never left writing into a closed pipe.
import { Transform, type Readable } from 'node:stream';
import type { BlockStdin } from './stdin-reader.ts';

/** Why the core entry holds less than the kernel would have sent. */
export type TruncatedReason = 'rlimit_core' | 'timeout' | 'short_read' | 'max_core_size' | 'part_limit';

export interface CoreStats {
  /** Bytes in the core entry. */
  bytes: number;
  /** Bytes read from stdin: more than `bytes` once the entry was cut by drop(). */
  seenBytes: number;
  truncated: boolean;
  truncatedReason: TruncatedReason | undefined;
  /** performance.now() when stdin was fully read or closed: the crashed process is free from then on. */
  drainedAt: number | undefined;
}

export interface CoreSource {
  stream: Readable;
  stats: CoreStats;
  /** Settles once stdin is fully read or closed. */
  drained: Promise<void>;
  /** Stops reading now: the core entry ends here. No-op once stdin is drained. */
  cut(reason: TruncatedReason): void;
  /** The core entry ends here; the rest is read and observed but not stored. */
  drop(reason: TruncatedReason): void;
  /** A chunk of `stream` the consumer has copied: stdin may read into it again (see stdin-reader.ts). */
  recycle(chunk: Buffer): void;
}

/**
 * `observe` sees every chunk read from stdin, in order (the triage reader: a passive observer).
 * `maxBytes` (COMP_MAX_CORE_MIB): the entry holds at most this much; the rest is dropped.
 * `releaseBufferBytes` (COMP_RELEASE_BUFFER_MIB): core bytes read ahead of the compressor.
 */
export function coreSource(stdin: Readable, limit: bigint | undefined, onBytes: (n: number) => void = () => {}, observe?: (chunk: Buffer) => void, maxBytes = Infinity, releaseBufferBytes = 0): CoreSource {
  const stats: CoreStats = { bytes: 0, seenBytes: 0, truncated: false, truncatedReason: undefined, drainedAt: undefined };
  const max = limit === undefined || limit > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(limit);
  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  const markDrained = () => {
    stats.drainedAt ??= performance.now();
    resolveDrained();
  };
  stdin.once('end', markDrained);
  stdin.once('close', markDrained);
  let dropping = false;
  const mark = (reason: TruncatedReason) => {
    stats.truncated = true;
    stats.truncatedReason ??= reason; // the first reason is the one that cut the entry
  };
  const drop = (reason: TruncatedReason) => { mark(reason); dropping = true; };
  const blocks = stdin as Readable & Partial<BlockStdin>;
  const stop = (reason: TruncatedReason, keepPending = false) => {
    mark(reason);
    // Bytes already read into a block being filled belong in the entry, unless a limit cut it.
    const rest = keepPending ? blocks.takePending?.() : undefined;
    stdin.unpipe(cut);
    stdin.destroy();
    markDrained();
    if (rest) cut.write(rest);
    cut.end();
  };
  const cut = new Transform({
    writableHighWaterMark: 1 << 20,
    // COMP_RELEASE_BUFFER_MIB: this much of the core may wait here for the compressor, so a core
    // that fits is read at pipe speed and the crashed process released before compression ends.
    readableHighWaterMark: Math.max(1 << 20, releaseBufferBytes),
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      observe?.(chunk);
      stats.seenBytes += chunk.length;
      if (dropping) { cb(); return; }
      const room = Math.min(max, maxBytes) - stats.bytes;
      if (chunk.length <= room) {
        stats.bytes += chunk.length;
        cb(null, chunk);
        return;
      }
      stats.bytes += Math.max(0, room);
      cb(null, room > 0 ? chunk.subarray(0, room) : undefined);
      if (max <= maxBytes) stop('rlimit_core');
      else drop('max_core_size');
    },
  });
  if (max === 0) stop('rlimit_core');
  else {
    stdin.pipe(cut);
    stdin.once('error', (e) => cut.destroy(e));
  }
  return {
    stream: cut,
    stats,
    drained,
    cut(reason) {
      if (stats.drainedAt === undefined && !cut.writableEnded) stop(reason, true);
    },
    drop(reason) {
      if (stats.drainedAt === undefined && !cut.writableEnded && !dropping) drop(reason);
    },
    recycle(chunk) { blocks.recycle?.(chunk); },
  };
}
