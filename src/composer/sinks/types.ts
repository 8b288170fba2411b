// The sink contract (docs/ARCHITECTURE.md "Sinks") and the one Writable every sink is built on.
import { Writable } from 'node:stream';
import type { Logger } from '../../shared/log.ts';
import { codeOf, describeError } from '../../shared/errors.ts';

export type SinkResult =
  | { kind: 's3'; bucket: string; key: string; bytes: number; store?: 'azure' } // stored; Azure: container, blob
  | { kind: 'spool'; path: string; bytes: number; reason: string } // complete {name}.zip
  | { kind: 'partial'; manifestPath: string; bucket: string; key: string; bytes: number; reason: string };

export interface Sink {
  readonly stream: Writable;
  readonly done: Promise<SinkResult>;
  /** Tears the sink down: nothing that looks whole is left. No-op once done resolved. */
  abort(reason: Error): Promise<void>;
  /**
   * COMP_TIMEOUT ran out: stop waiting on the network. What the store confirmed stays; everything
   * else goes to disk as the stream goes on, so the dump ends at disk speed.
   */
  hurry(reason: Error): void;
}

export interface SinkHandlers {
  write(chunks: Buffer[]): Promise<void>;
  /** Makes the data durable and returns the result; checks `signal` before every irreversible step. */
  final(): Promise<SinkResult>;
  /** Removes whatever final() did not finish. Runs once, after the running write/final settled. */
  cleanup(reason: Error): Promise<void>;
  /** See Sink.hurry; absent for a sink that only writes to disk. */
  hurry?(reason: Error): void;
}

/**
 * Wraps handlers into a Sink. Errors, destroy() and abort() all lead to one cleanup, which waits
 * for the step in progress (the abort signal makes it stop early) so it never races a rename.
 */
export function makeSink(build: (signal: AbortSignal) => SinkHandlers, log: Logger): Sink {
  const ac = new AbortController();
  const h = build(ac.signal);
  let result: SinkResult | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  let cleaned: Promise<void> | null = null;
  let settle!: { resolve: (r: SinkResult) => void; reject: (e: Error) => void };
  const done = new Promise<SinkResult>((resolve, reject) => { settle = { resolve, reject }; });
  done.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection

  const run = <T>(p: Promise<T>): Promise<T> => { busy = p.catch(() => {}); return p; };
  const cleanup = (reason: Error): Promise<void> => (cleaned ??= (async () => {
    ac.abort(reason);
    await busy;
    if (result) return; // finished before the abort took effect: the result is whole, keep it
    await h.cleanup(reason).catch((e: unknown) => log.warn({ event: 'SinkCleanupFailed', code: codeOf(e), err: describeError(e) }, 'SinkCleanupFailed'));
    settle.reject(reason);
  })());

  const stream = new Writable({
    highWaterMark: 256 * 1024,
    writev(chunks, cb) {
      run(h.write(chunks.map((c) => c.chunk as Buffer))).then(() => cb(), (e: Error) => cb(e));
    },
    final(cb) {
      // A final() that resolved left a whole result, even if an abort arrived meanwhile: keep it.
      run(h.final()).then((r) => { result = r; settle.resolve(r); cb(); }, (e: Error) => cb(e));
    },
    destroy(err, cb) {
      if (result) { cb(err); return; }
      cleanup(err ?? new Error('sink stream destroyed before its end')).then(() => cb(err));
    },
  });

  return {
    stream,
    done,
    async abort(reason: Error) {
      if (result) return;
      stream.destroy(reason);
      await cleanup(reason);
    },
    hurry(reason: Error) {
      h.hurry?.(reason);
    },
  };
}
