// freeNow (gc-pacer.ts): a buffer allocated whole gives its memory back at once; a view into a
// larger buffer is left alone, so no other view can be emptied by mistake.
import t from 'tap';
import { freeNow } from '../../src/shared/gc-pacer.ts';

t.test('a whole buffer is emptied and its memory given back; a view is left alone', async (t) => {
  const before = process.memoryUsage().arrayBuffers;
  const whole = Buffer.allocUnsafe(64 << 20).fill(1);
  t.ok(process.memoryUsage().arrayBuffers - before >= 64 << 20);
  freeNow(whole);
  t.equal(whole.length, 0, 'detached: every view of it is now empty');
  t.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'and the 64 MiB are gone without a collection');
  const big = Buffer.alloc(1 << 20, 2);
  const view = big.subarray(0, 1024);
  freeNow(view);
  t.equal(view.length, 1024, 'a view is not freed');
  t.equal(big[0], 2, 'nor is the buffer under it');
  freeNow(Buffer.alloc(0)); // nothing to free: no throw
});
