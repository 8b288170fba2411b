// The core on stdin, counted, and cut when it must stop: at RLIMIT_CORE, or when COMP_TIMEOUT runs
// out. Once cut, stdin is closed: the kernel then stops writing and releases the crashed process
// at once, and the core entry ends with what was read (dump-info says so, and why).
// Over COMP_MAX_CORE_MIB, or where the upload's part limit is near, the entry is cut too, but the
// rest is still read (at pipe speed: nothing is compressed or stored) and shown to the observer,
// so triage sees the whole core and the kernel is never left writing into a closed pipe.
// The release buffer (COMP_RELEASE_BUFFER_MIB): before the compressor starts, the core is read
// ahead at pipe speed until that much waits here, so a core that fits frees the crashed process
// before compression has begun. It is filled once: after that, the core is read as it is consumed,
// so the buffer drains while the parts fill instead of staying full beside them. Given a release
// file (release-file.ts), the buffer is on disk: what is read while filling is written there (and
// its stdin block reused at once), and handed on from there before anything read later.
import { Readable } from 'node:stream';
import type { BlockStdin } from './stdin-reader.ts';
import type { ReleaseFile } from './release-file.ts';

/** Read ahead of the consumer once the release buffer is filled (or without one). */
const STEADY_AHEAD_BYTES = 1 << 20;
/** Bytes read back from a release file at a time. */
const FILE_READ_BYTES = 1 << 20;

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
  /** The core entry ends here; the rest (what a release file holds too) is read and observed but not stored. */
  drop(reason: TruncatedReason): void;
  /** A chunk of `stream` the consumer has copied: stdin may read into it again (see stdin-reader.ts). */
  recycle(chunk: Buffer): void;
  /**
   * Settles once the release buffer is full or the core is read (at once without a buffer). The
   * compressor waits for it, so the main thread only reads until then: at pipe speed.
   */
  filled: Promise<void>;
}

/**
 * `onBytes` (the GC pacer) is told each chunk's size once the release buffer is filled: while it
 * fills, everything read is still held, so a collection would only slow the read the crashed
 * process waits for.
 * `observe` sees every chunk read from stdin, in order (the triage reader: a passive observer).
 * `maxBytes` (COMP_MAX_CORE_MIB): the entry holds at most this much; the rest is dropped.
 * `releaseBufferBytes` (COMP_RELEASE_BUFFER_MIB): core bytes read ahead before the compressor starts.
 * `coreSize`: the core's size once its headers say it (triage). A core that will not fit the
 * buffer is not buffered: its hold is the compressor's time whatever the buffer, so filling it
 * would cost its memory on top of the parts' for nothing (1 GiB core, store, single runs: peak RSS
 * 200-209 MiB filled, 149-152 MiB not; held 5.6-5.7 s filled, 4.8-4.9 s not).
 * `releaseFile`: where the release buffer goes, if on disk (closed by the source once read back).
 */
export function coreSource(stdin: Readable, limit: bigint | undefined, onBytes: (n: number) => void = () => {}, observe?: (chunk: Buffer) => void, maxBytes = Infinity, releaseBufferBytes = 0, coreSize: () => number | undefined = () => undefined, releaseFile?: ReleaseFile): CoreSource {
  const stats: CoreStats = { bytes: 0, seenBytes: 0, truncated: false, truncatedReason: undefined, drainedAt: undefined };
  const max = limit === undefined || limit > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(limit);
  const blocks = stdin as Readable & Partial<BlockStdin>;
  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  let resolveFilled!: () => void;
  const filled = new Promise<void>((resolve) => (resolveFilled = resolve));
  // Read ahead this far while filling, then only a little ahead of the consumer.
  let ahead = Math.max(STEADY_AHEAD_BYTES, releaseBufferBytes);
  let filling = releaseBufferBytes > 0;
  const fillDone = () => { filling = false; ahead = STEADY_AHEAD_BYTES; resolveFilled(); };
  // The release file, while it holds bytes not yet handed on; what is read after it, in order.
  let file = releaseBufferBytes > 0 ? releaseFile : undefined;
  const after: Buffer[] = [];
  let afterBytes = 0;
  const fileBlocks = new WeakSet<Buffer>();
  const fileFree: Buffer[] = [];
  if (releaseBufferBytes === 0) { releaseFile?.close(); fillDone(); }
  const markDrained = () => {
    stats.drainedAt ??= performance.now();
    fillDone();
    resolveDrained();
  };
  let ended = false; // the entry's stream has had its end pushed
  let endWanted = false; // stdin ended or was cut: end the entry once the release file is handed on
  let dropping = false;
  /** Hands on the release file, then what was read after it; true once both are empty. */
  const pumpFile = (): boolean => {
    while (file) {
      if (file.unread === 0) {
        file.close();
        file = undefined;
        for (const b of after.splice(0)) out.push(b);
        afterBytes = 0;
        break;
      }
      const b = fileFree.pop() ?? Buffer.allocUnsafe(FILE_READ_BYTES);
      fileBlocks.add(b);
      const n = file.read(b);
      if (!out.push(n === b.length ? b : b.subarray(0, n))) return false;
    }
    return true;
  };
  const out = new Readable({
    highWaterMark: STEADY_AHEAD_BYTES,
    read() { // called only when the consumer wants more
      if (!pumpFile() || ended) return;
      if (endWanted) { ended = true; out.push(null); } else stdin.resume();
    },
    destroy(err, cb) { file?.close(); file = undefined; stdin.destroy(); cb(err); },
  });
  /** Core bytes for the entry: into the release file while it fills, else after what it holds. */
  const accept = (buf: Buffer): void => {
    if (!file) { out.push(buf); return; }
    if (filling && after.length === 0) {
      if (file.write(buf)) { blocks.recycle?.(buf); return; }
      fillDone(); // the disk refused it: no more read-ahead (in memory it would be the disk's size)
    }
    after.push(buf); // kept in memory, after what the file holds
    afterBytes += buf.length;
  };
  const buffered = () => out.readableLength + (file ? file.unread + afterBytes : 0);
  const mark = (reason: TruncatedReason) => {
    stats.truncated = true;
    stats.truncatedReason ??= reason; // the first reason is the one that cut the entry
  };
  const drop = (reason: TruncatedReason) => { mark(reason); dropping = true; };
  /** What waits in the release file is not in the entry yet: a cut from outside takes it back too. */
  const unbuffer = () => {
    if (!file) return;
    stats.bytes -= file.unread + afterBytes;
    file.close();
    file = undefined;
    after.length = 0;
    afterBytes = 0;
  };
  const finish = () => {
    if (ended || endWanted) return;
    endWanted = true;
    if (file) return; // read() ends the entry once the release file is handed on
    ended = true;
    out.push(null);
  };
  const stop = (reason: TruncatedReason, keepPending = false) => {
    mark(reason);
    // Bytes already read into a block being filled belong in the entry, unless a limit cut it.
    const rest = keepPending ? blocks.takePending?.() : undefined;
    stdin.off('data', onChunk);
    stdin.destroy();
    markDrained();
    if (rest) onChunk(rest);
    finish();
  };
  function onChunk(chunk: Buffer): void {
    if (ended) return;
    if (!filling) onBytes(chunk.length);
    observe?.(chunk);
    stats.seenBytes += chunk.length;
    if (filling && (coreSize() ?? 0) > releaseBufferBytes) fillDone();
    if (dropping) return;
    const room = Math.min(max, maxBytes) - stats.bytes;
    if (chunk.length <= room) {
      stats.bytes += chunk.length;
      accept(chunk);
      if (buffered() >= ahead) {
        fillDone();
        stdin.pause();
      }
      return;
    }
    stats.bytes += Math.max(0, room);
    if (room > 0) accept(chunk.subarray(0, room));
    if (max <= maxBytes) stop('rlimit_core');
    else drop('max_core_size');
  }
  if (max === 0) stop('rlimit_core');
  else {
    stdin.on('data', onChunk);
    stdin.once('end', () => { markDrained(); finish(); });
    stdin.once('close', () => { markDrained(); finish(); });
    stdin.once('error', (e) => out.destroy(e));
  }
  return {
    stream: out,
    stats,
    drained,
    filled,
    cut(reason) {
      if (stats.drainedAt === undefined && !ended) stop(reason, true);
    },
    drop(reason) {
      if (ended || dropping) return;
      drop(reason);
      unbuffer(); // once drained too: the part limit's cut must hold however much was read ahead
    },
    recycle(chunk) {
      if (!fileBlocks.has(chunk)) { blocks.recycle?.(chunk); return; }
      fileBlocks.delete(chunk);
      if (file && fileFree.length < 2) fileFree.push(chunk);
    },
  };
}
