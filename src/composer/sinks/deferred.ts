// Lets the zip flow before the sink is open. Opening the S3 sink costs loading the AWS SDK
// (~150 ms) and a round trip to S3 (plus a TLS handshake on real AWS): the crashed process must
// not wait for either. Until the sink is open, up to `earlyBytes` of zip are queued in memory;
// the sink is opened once the core has been read or that queue is full — whichever comes first —
// so a core that compresses into the queue is released before any of that happens. Once open,
// the queue is flushed and nothing more is held here than one write.
import { Writable } from 'node:stream';
import type { Sink, SinkResult } from './types.ts';

export function deferSink(open: () => Promise<Sink>, earlyBytes: number, coreRead: Promise<unknown>): Sink {
  let inner: Sink | undefined;
  let start!: () => void;
  const opened = new Promise<void>((resolve) => (start = resolve));
  const ready = opened.then(open).then((s) => (inner = s));
  ready.catch(() => {}); // surfaces through the next write, final() and done
  void coreRead.then(start, start);

  const queue: Buffer[] = [];
  let queued = 0;

  const forward = async (s: Sink, chunks: Buffer[]): Promise<void> => {
    for (const c of chunks) {
      if (!s.stream.write(c)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => { s.stream.off('error', onError); resolve(); };
          const onError = (e: Error) => { s.stream.off('drain', onDrain); reject(e); };
          s.stream.once('drain', onDrain);
          s.stream.once('error', onError);
        });
      }
    }
  };
  // One chunk at a time, so each queued buffer can be collected as soon as the sink has it.
  const flushQueue = async (s: Sink): Promise<void> => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      queued -= c.length;
      await forward(s, [c]);
    }
  };

  const stream = new Writable({
    highWaterMark: 1 << 20,
    writev(chunks, cb) {
      const bufs = chunks.map((c) => c.chunk as Buffer);
      if (!inner) {
        for (const b of bufs) { queue.push(b); queued += b.length; }
        if (queued < earlyBytes) { cb(); return; } // keep accepting: the core keeps draining
        start(); // queue full: open now, and let back-pressure hold the zip meanwhile
        ready.then(flushQueue).then(() => cb(), (e: Error) => cb(e));
        return;
      }
      flushQueue(inner).then(() => forward(inner!, bufs)).then(() => cb(), (e: Error) => cb(e));
    },
    final(cb) {
      start();
      ready.then(async (s) => { await flushQueue(s); s.stream.end(); return s.done; }).then(() => cb(), (e: Error) => cb(e));
    },
    destroy(err, cb) {
      start();
      queue.length = 0;
      // Not open yet: the sink opening meanwhile must be torn down as soon as it exists.
      if (!inner) ready.then((s) => s.abort(err ?? new Error('destroyed before the sink opened')), () => {});
      else if (err) inner.stream.destroy(err);
      cb(err);
    },
  });
  ready.then((s) => s.stream.once('error', (e) => stream.destroy(e)), () => {});

  const done: Promise<SinkResult> = ready.then((s) => s.done);
  done.catch(() => {});
  return {
    stream,
    done,
    hurry(reason: Error) {
      ready.then((s) => s.hurry(reason), () => {});
    },
    async abort(reason: Error) {
      stream.destroy(reason);
      const s = await ready.catch(() => undefined);
      await s?.abort(reason);
    },
  };
}
