// The core on stdin, counted and cut at RLIMIT_CORE. Once the limit is reached stdin is closed:
// the kernel then stops writing and releases the crashed process at once.
import { Transform, type Readable } from 'node:stream';

export interface CoreStats {
  bytes: number;
  truncated: boolean;
  /** performance.now() when stdin was fully read or closed: the crashed process is free from then on. */
  drainedAt: number | undefined;
}

export interface CoreSource {
  stream: Readable;
  stats: CoreStats;
  /** Settles once stdin is fully read or closed. */
  drained: Promise<void>;
}

/** `observe` sees every chunk read from stdin, in order (the triage reader: a passive observer). */
export function coreSource(stdin: Readable, limit: bigint | undefined, onBytes: (n: number) => void = () => {}, observe?: (chunk: Buffer) => void): CoreSource {
  const stats: CoreStats = { bytes: 0, truncated: false, drainedAt: undefined };
  const max = limit === undefined || limit > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(limit);
  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  const markDrained = () => {
    stats.drainedAt ??= performance.now();
    resolveDrained();
  };
  stdin.once('end', markDrained);
  stdin.once('close', markDrained);
  const cut = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      observe?.(chunk);
      const room = max - stats.bytes;
      if (chunk.length <= room) {
        stats.bytes += chunk.length;
        cb(null, chunk);
        return;
      }
      stats.truncated = true;
      stats.bytes += Math.max(0, room);
      cb(null, room > 0 ? chunk.subarray(0, room) : undefined);
      stdin.unpipe(cut);
      stdin.destroy();
      markDrained();
      cut.end();
    },
  });
  if (max === 0) {
    stats.truncated = true;
    stdin.destroy();
    markDrained();
    cut.end();
  } else {
    stdin.pipe(cut);
    stdin.once('error', (e) => cut.destroy(e));
  }
  return { stream: cut, stats, drained };
}
