// The core on stdin, counted, and cut when it must stop: at RLIMIT_CORE, or when COMP_TIMEOUT runs
// out. Once cut, stdin is closed: the kernel then stops writing and releases the crashed process
// at once, and the core entry ends with what was read (dump-info says so, and why).
import { Transform, type Readable } from 'node:stream';

/** Why the core entry holds less than the kernel would have sent. */
export type TruncatedReason = 'rlimit_core' | 'timeout' | 'short_read';

export interface CoreStats {
  bytes: number;
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
}

/** `observe` sees every chunk read from stdin, in order (the triage reader: a passive observer). */
export function coreSource(stdin: Readable, limit: bigint | undefined, onBytes: (n: number) => void = () => {}, observe?: (chunk: Buffer) => void): CoreSource {
  const stats: CoreStats = { bytes: 0, truncated: false, truncatedReason: undefined, drainedAt: undefined };
  const max = limit === undefined || limit > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(limit);
  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  const markDrained = () => {
    stats.drainedAt ??= performance.now();
    resolveDrained();
  };
  stdin.once('end', markDrained);
  stdin.once('close', markDrained);
  const stop = (reason: TruncatedReason) => {
    stats.truncated = true;
    stats.truncatedReason = reason;
    stdin.unpipe(cut);
    stdin.destroy();
    markDrained();
    cut.end();
  };
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
      stats.bytes += Math.max(0, room);
      cb(null, room > 0 ? chunk.subarray(0, room) : undefined);
      stop('rlimit_core');
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
      if (stats.drainedAt === undefined && !cut.writableEnded) stop(reason);
    },
  };
}
