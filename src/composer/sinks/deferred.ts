// Lets the zip start flowing before the sink is open. Creating the multipart upload is a round
// trip to S3 (plus a TLS handshake on real AWS); the crashed process must not wait for it. Up to
// `maxBufferedBytes` of zip are held in memory meanwhile; past that, normal back-pressure applies.
import { Writable } from 'node:stream';
import type { Sink, SinkResult } from './types.ts';

export function deferSink(opening: Promise<Sink>, maxBufferedBytes: number): Sink {
  let inner: Sink | undefined;
  const ready = opening.then((s) => (inner = s));
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
      ready.then((s) => { s.stream.end(); return s.done; }).then(() => cb(), (e: Error) => cb(e));
    },
    destroy(err, cb) {
      if (err && inner) inner.stream.destroy(err);
      cb(err);
    },
  });
  ready.then((s) => s.stream.once('error', (e) => stream.destroy(e)), () => {});

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
