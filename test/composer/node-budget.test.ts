// The node-wide budget: the decision, leases shared through HOST_DIR/.budget by separate processes
// (other "composers" are real processes whose pid names their record), a hostile directory, and
// the real composer going lean, waiting, and going over when the budget stays taken.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decideLease, FLOOR_MIB, LEAN_MEMORY_MIB, takeLease, BUDGET_DIR } from '../../src/composer/node-budget.ts';
import { liveRecords } from '../../src/shared/host-leases.ts';
import { SpoolReservation } from '../../src/shared/spool-space.ts';
import { RESERVATIONS_DIR } from '../../src/shared/spool/names.ts';
import { createTestBucket } from '../helpers/s3.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { runComposer, mixedData } from '../helpers/run-composer.ts';
import { saveTemp, unzipTest } from '../helpers/zip-check.ts';

const S = { memoryMiB: 1024, threads: 8, waitMs: 200 };
const WANT = { memoryMiB: 64, threads: 4 };
const FULL = FLOOR_MIB + 64;

t.test('the decision: full while it fits, lean while a lean one fits, else wait', async (t) => {
  t.same(decideLease({ memoryMiB: 0, threads: 0, holders: 0 }, S, WANT), { mode: 'full', memoryMiB: 64, threads: 4 });
  t.same(decideLease({ memoryMiB: 1024 - FULL, threads: 6, holders: 5 }, S, WANT), { mode: 'full', memoryMiB: 64, threads: 2 }, 'threads: what the node has left');
  t.same(decideLease({ memoryMiB: 1024 - FULL, threads: 8, holders: 5 }, S, WANT), { mode: 'full', memoryMiB: 64, threads: 1 }, 'never fewer than one');
  t.same(decideLease({ memoryMiB: 1024 - FULL + 1, threads: 0, holders: 5 }, S, WANT), { mode: 'lean', memoryMiB: LEAN_MEMORY_MIB, threads: 1 });
  t.same(decideLease({ memoryMiB: 1024 - FLOOR_MIB - 16, threads: 0, holders: 5 }, S, { memoryMiB: 16, threads: 4 }), { mode: 'full', memoryMiB: 16, threads: 4 }, 'a composer set leaner than lean stays as set');
  t.equal(decideLease({ memoryMiB: 1024 - FLOOR_MIB - LEAN_MEMORY_MIB + 1, threads: 0, holders: 5 }, S, WANT), undefined, 'not even lean: wait');
  t.same(decideLease({ memoryMiB: 0, threads: 0, holders: 0 }, { ...S, memoryMiB: 100 }, WANT), { mode: 'full', memoryMiB: 64, threads: 4 }, 'alone, a composer always runs, even over a tiny budget');
});

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-budget-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A live process to name a lease by. Orphaned at once, so init reaps it when it ends: a zombie
 * child of ours would still look alive, and takeLease blocks this thread, so we could not reap it. */
function livePid(t: { teardown(fn: () => void): void }, seconds = 60): number {
  const pid = Number(spawnSync('sh', ['-c', `sleep ${seconds} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).stdout.trim());
  t.teardown(() => { try { process.kill(pid); } catch { /* gone */ } });
  return pid;
}

/** Writes `record` as the lease of `pid` in `dir` (`tag`: the random part of its name). */
function writeLease(dir: string, pid: number, record: Record<string, unknown>, tag = '0a1b2c3d'): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${pid}.${tag}.json`), JSON.stringify(record));
}

/** A stand-in composer: a live process whose pid names a lease of `memoryMiB` in `dir`. */
function holder(t: { teardown(fn: () => void): void }, dir: string, memoryMiB: number, seconds = 60, record: Record<string, unknown> = {}): number {
  const pid = livePid(t, seconds);
  writeLease(dir, pid, { mode: 'full', memoryMiB, threads: 1, until: Date.now() + 600_000, ...record });
  return pid;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

const until = () => Date.now() + 600_000;

t.test('leases across processes: full, lean, waiting for one to end, over', async (t) => {
  const dir = path.join(scratch(t), BUDGET_DIR);
  const a = takeLease(dir, S, WANT, until());
  t.match(a, { mode: 'full', memoryMiB: 64, threads: 4, holders: 0 });
  t.same(liveRecords(dir).map((r) => r.value), [{ mode: 'full', memoryMiB: 64, threads: 4, until: (liveRecords(dir)[0]!.value as { until: number }).until }], 'its record is in the directory');
  a.release();
  t.equal(liveRecords(dir).length, 0, 'released');

  holder(t, dir, 1024 - 2 * FLOOR_MIB - 64 + 1); // room for a lean lease, not a full one
  const lean = takeLease(dir, S, WANT, until());
  t.match(lean, { mode: 'lean', memoryMiB: LEAN_MEMORY_MIB, threads: 1, holders: 1 });
  const over = takeLease(dir, S, WANT, until());
  t.match(over, { mode: 'over', memoryMiB: LEAN_MEMORY_MIB, threads: 1, holders: 2 }, 'budget still taken after COMP_NODE_WAIT_MS: on, lean');
  t.ok(over.waitedMs >= S.waitMs, `waited ${over.waitedMs} ms`);
  lean.release();
  over.release();
});

t.test('a holder that ends frees its share: the waiting composer goes on full', async (t) => {
  const dir = path.join(scratch(t), BUDGET_DIR);
  holder(t, dir, 1024 - FLOOR_MIB, 0.4); // the whole budget, for 0.4 s
  const l = takeLease(dir, { ...S, waitMs: 10_000 }, WANT, until());
  t.match(l, { mode: 'full', holders: 0 });
  t.ok(l.waitedMs >= 250 && l.waitedMs < 5_000, `waited ${l.waitedMs} ms for the holder to exit`);
  l.release();
});

t.test('dead, expired and hostile records do not count; a symlinked directory is not used', async (t) => {
  const root = scratch(t);
  const dir = path.join(root, BUDGET_DIR);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, '999999999.00000000.json'), JSON.stringify({ memoryMiB: 4096, threads: 64, until: until() })); // no such pid
  holder(t, dir, 4096, 60, { until: Date.now() - 1 }); // pid reused long after its composer ended
  const secret = path.join(root, 'elsewhere.json');
  fs.writeFileSync(secret, JSON.stringify({ memoryMiB: 4096, threads: 64, until: until() }));
  fs.symlinkSync(secret, path.join(dir, `${process.pid}.deadbeef.json`)); // never followed
  fs.writeFileSync(path.join(dir, 'not-a-record'), 'x');
  // malformed, never expiring, expiring in a year, negative: each named by a live pid
  for (const [i, bad] of [{ memoryMiB: 'lots', threads: 1, until: until() }, { memoryMiB: 4096, threads: 1 }, { memoryMiB: 4096, threads: 1, until: Date.now() + 365 * 86_400_000 }, { memoryMiB: 4096, threads: -5, until: until() }].entries()) {
    writeLease(dir, livePid(t), bad, `0000000${i}`);
  }
  const l = takeLease(dir, S, WANT, until());
  t.match(l, { mode: 'full', holders: 0, threads: 4 }, 'none of them counted');
  t.notOk(fs.existsSync(path.join(dir, '999999999.00000000.json')), 'the dead holder\'s record was removed');
  t.notOk(fs.readdirSync(dir).some((n) => n.endsWith('.0a1b2c3d.json')), 'the expired one too');
  l.release();

  const elsewhere = path.join(root, 'target');
  fs.mkdirSync(elsewhere);
  const linked = path.join(root, 'linked');
  fs.symlinkSync(elsewhere, linked);
  const off = takeLease(linked, S, WANT, until());
  t.match(off, { mode: 'off', memoryMiB: 64, threads: 4 });
  t.match(off.problem, /not a directory/);
  t.same(fs.readdirSync(elsewhere), [], 'nothing written through the symlink');
  t.equal(takeLease(dir, { ...S, memoryMiB: 0 }, WANT, until()).mode, 'off', 'COMP_NODE_MEMORY_MIB=0: no budget');
});

t.test('a lock left by a killed composer is broken, in the budget and in the spool', async (t) => {
  const root = scratch(t);
  const dir = path.join(root, BUDGET_DIR);
  const stale = (d: string) => {
    fs.mkdirSync(path.join(d, '.lock'), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(d, '.lock'), old, old);
  };
  stale(dir);
  const l = takeLease(dir, S, WANT, until());
  t.match(l, { mode: 'full', holders: 0 }, 'the budget is used, not given up');
  t.equal(l.problem, undefined);
  l.release();
  t.notOk(fs.existsSync(path.join(dir, '.lock')), 'and the lock is released after');

  const spool = path.join(root, 'cores');
  stale(path.join(spool, RESERVATIONS_DIR));
  const r = await SpoolReservation.take(spool, { maxBytes: 1 << 30, minFreeBytes: 0 }, 'dump.zip', 1 << 20);
  t.equal(r.bytes, 1 << 20, 'the spool reservation is taken');
  await r.release();
});

const ARGS = ['-c=18446744073709551615', '-e=app', '-p=1', '-s=6', '-t=1700000000', '-h=node-a'];

t.test('the composer: lean when only a lean lease fits, over after the wait, and its dump whole either way', async (t) => {
  const b = await createTestBucket('node-budget');
  t.teardown(() => b.destroy());
  const c = installComposer({ ...b.env, COMP_MEMORY_MIB: '64', COMP_NODE_MEMORY_MIB: String(2 * FLOOR_MIB + 64), COMP_NODE_WAIT_MS: '300', COMP_LOG_LEVEL: 'info' });
  t.teardown(() => c.remove());
  const dir = path.join(c.dir, BUDGET_DIR);
  const other = holder(t, dir, 20); // leaves 140 MiB: room for a lean composer (96 + 32), not a full one (96 + 64)
  const core = await collect(mixedData(24 << 20));
  t.equal((await runComposer(c.launcher, ARGS, core)).code, 0);
  t.match(c.log().find((l) => l.event === 'NodeBudget'), { mode: 'lean', memoryMiB: LEAN_MEMORY_MIB, threads: 1, holders: 1 });
  t.match(c.log().find((l) => l.event === 'DumpFinished'), { outcome: 'stored' });

  writeLease(dir, other, { mode: 'full', memoryMiB: 200, threads: 1, until: until() });
  t.equal((await runComposer(c.launcher, ARGS, core)).code, 0);
  const lines = c.log().slice(c.log().findIndex((l, i, all) => l.event === 'CrashReceived' && i === all.map((x) => x.event).lastIndexOf('CrashReceived')));
  t.match(lines.find((l) => l.event === 'NodeBudget'), { mode: 'over', memoryMiB: LEAN_MEMORY_MIB, threads: 1 });
  t.ok(Number(lines.find((l) => l.event === 'NodeBudget')!.waitedMs) >= 300, 'it waited COMP_NODE_WAIT_MS first');
  t.match(lines.find((l) => l.event === 'NodeBudgetFull'), { level: 40, code: 'CDC_NODE_BUDGET_FULL' });
  t.match(lines.find((l) => l.event === 'DumpFinished'), { outcome: 'stored' });
  t.same(liveRecords(dir).map((r) => r.name), [`${other}.0a1b2c3d.json`], 'the composers\' own leases ended with them');

  const zips = (await b.keys()).filter((k) => k.endsWith('.zip'));
  t.equal(zips.length, 2);
  for (const k of zips) t.match(unzipTest(saveTemp(await b.get(k))), /No errors detected/, `${k} passes unzip -t`);
});

t.test('composers started together share the budget: never more than it at once, every dump stored', async (t) => {
  const b = await createTestBucket('node-budget-burst');
  t.teardown(() => b.destroy());
  const budget = 2 * (FLOOR_MIB + 64); // two full composers, no room for a third, not even lean
  const c = installComposer({ ...b.env, COMP_MEMORY_MIB: '64', COMP_NODE_MEMORY_MIB: String(budget), COMP_LOG_LEVEL: 'info' });
  t.teardown(() => c.remove());
  const dir = path.join(c.dir, BUDGET_DIR);
  const core = await collect(mixedData(48 << 20));
  let peak = 0;
  let over = false;
  const sample = (async () => {
    while (!over) {
      peak = Math.max(peak, liveRecords<{ memoryMiB: number }>(dir).reduce((n, r) => n + FLOOR_MIB + r.value.memoryMiB, 0));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const runs = await Promise.all(Array.from({ length: 6 }, () => runComposer(c.launcher, ARGS, core)));
  over = true;
  await sample;
  t.same(runs.map((r) => r.code), [0, 0, 0, 0, 0, 0]);
  const budgets = c.log().filter((l) => l.event === 'NodeBudget');
  t.equal(budgets.length, 6);
  t.ok(budgets.every((l) => l.mode === 'full'), `every one ran full, in turn: ${budgets.map((l) => `${l.mode}/${l.waitedMs}ms`).join(' ')}`);
  t.ok(budgets.filter((l) => Number(l.waitedMs) > 50).length >= 3, 'at least three waited for a lease');
  t.ok(peak > 0 && peak <= budget, `leases held at once peaked at ${peak} MiB of ${budget}`);
  t.equal(c.log().filter((l) => l.event === 'DumpFinished' && l.outcome === 'stored').length, 6);
  t.equal(liveRecords(dir).length, 0, 'no lease outlives its composer');
});
