// Lets the zip flow before the sink is open. Opening the S3 sink costs loading the AWS SDK
// (~150 ms) and a round trip to S3 (plus a TLS handshake on real AWS): the crashed process must
// not wait for either. The sink is opened once the core has been read, or once the zip has
// filled `maxBufferedBytes` of memory — whichever comes first — so a small core is released
// before any of that happens, and a large one waits for it once, at the start.
import { Writable } from 'node:stream';
import type { Sink, SinkResult } from './types.ts';

const POLL_MS = 5;

export function deferSink(open: () => Promise<Sink>, maxBufferedBytes: number, coreRead: Promise<unknown>): Sink {
  let inner: Sink | undefined;
  let start!: () => void;
  const opened = new Promise<void>((resolve) => (start = resolve));
  const ready = opened.then(open).then((s) => (inner = s));
  ready.catch(() => {}); // surfaces through the first write, final() and done

  const forward = async (chunks: Buffer[]): Promise<void> => {
    const s = await ready;
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

  const stream = new Writable({
    highWaterMark: maxBufferedBytes,
    writev(chunks, cb) {
      forward(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), (e: Error) => cb(e));
    },
    final(cb) {
      start();
      ready.then((s) => { s.stream.end(); return s.done; }).then(() => cb(), (e: Error) => cb(e));
    },
    destroy(err, cb) {
      start();
      if (err && inner) inner.stream.destroy(err);
      cb(err);
    },
  });
  ready.then((s) => s.stream.once('error', (e) => stream.destroy(e)), () => {});

  // Open when the core is in, or when the buffer is full (the zip then waits: back-pressure).
  void coreRead.then(start, start);
  const poll = setInterval(() => {
    if (stream.writableLength >= maxBufferedBytes) start();
  }, POLL_MS);
  void opened.then(() => clearInterval(poll));

  const done: Promise<SinkResult> = ready.then((s) => s.done);
  done.catch(() => {});
  return {
    stream,
    done,
    async abort(reason: Error) {
      stream.destroy(reason);
      const s = await ready.catch(() => undefined);
      await s?.abort(reason);
    },
  };
}
