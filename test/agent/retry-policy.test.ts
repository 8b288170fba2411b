import t from 'tap';
import { RetryPolicy, backoffDelayMs, DEFAULT_RETRY, type Clock } from '../../src/agent/retry-policy.ts';

function fakeClock(random = 0.5): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, random: () => random, advance: (ms) => { now += ms; } };
}

t.test('defaults are written with units and grow exponentially up to the cap', async (t) => {
  t.equal(DEFAULT_RETRY.baseDelayMs, 5_000);
  t.equal(DEFAULT_RETRY.maxDelayMs, 600_000);
  const noJitter = { ...DEFAULT_RETRY, jitter: 0 };
  t.same([1, 2, 3, 4].map((n) => backoffDelayMs(n, noJitter, 0.9)), [5_000, 10_000, 20_000, 40_000]);
  t.equal(backoffDelayMs(50, noJitter, 0), 600_000, 'capped, and no overflow at many failures');
});

t.test('jitter stays within [delay*(1-jitter), delay]', async (t) => {
  t.equal(backoffDelayMs(1, DEFAULT_RETRY, 0), 2_500);
  t.equal(backoffDelayMs(1, DEFAULT_RETRY, 0.999999), 5_000);
});

t.test('per-file state: due, backoff, retry, success clears', async (t) => {
  const clock = fakeClock(0.5);
  const p = new RetryPolicy({ ...DEFAULT_RETRY, jitter: 0 }, clock);
  t.ok(p.due('a'));
  t.notOk(p.isRetry('a'));
  const s1 = p.failed('a', 'boom');
  t.equal(s1.failures, 1);
  t.notOk(p.due('a'), 'in backoff');
  t.ok(p.due('b'), 'other files unaffected');
  t.equal(p.msUntilNextDue(), 5_000);
  clock.advance(4_999);
  t.notOk(p.due('a'));
  clock.advance(1);
  t.ok(p.due('a'));
  t.ok(p.isRetry('a'));
  t.equal(p.failed('a', 'boom').failures, 2);
  t.equal(p.msUntilNextDue(), 10_000);
  t.equal(p.failingCount(), 1);
  p.clear('a');
  t.equal(p.failingCount(), 0);
  t.equal(p.msUntilNextDue(), undefined);
});

t.test('never gives up: after many failures the file is still retried at the cap', async (t) => {
  const clock = fakeClock(0);
  const p = new RetryPolicy({ ...DEFAULT_RETRY, jitter: 0 }, clock);
  for (let i = 0; i < 100; i++) {
    t.ok(p.due('x'));
    p.failed('x', 'still down');
    clock.advance(600_000);
  }
  t.equal(p.get('x')?.failures, 100);
  t.equal(p.failingCount(), 1, 'still counted as failing');
});

t.test('retain drops state of files that disappeared', async (t) => {
  const p = new RetryPolicy(DEFAULT_RETRY, fakeClock());
  p.failed('a', 'x');
  p.failed('b', 'x');
  p.retain(new Set(['b']));
  t.equal(p.failingCount(), 1);
  t.ok(p.get('b'));
});
