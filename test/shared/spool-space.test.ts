import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSpoolSpace } from '../../src/shared/spool-space.ts';

t.test('sums the spool files and applies the cap and the free-space floor', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-space-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.zip'), Buffer.alloc(1000));
  fs.writeFileSync(path.join(dir, 'b.zip.rest'), Buffer.alloc(500));
  fs.mkdirSync(path.join(dir, 'sub')); // not a spool file
  const ok = await checkSpoolSpace(dir, { maxBytes: 10_000, minFreeBytes: 0 });
  t.match(ok, { ok: true, usedBytes: 1500, headroomBytes: 8500 });
  t.ok(ok.freeBytes > 0);
  t.match(await checkSpoolSpace(dir, { maxBytes: 1500, minFreeBytes: 0 }), { ok: false, headroomBytes: 0, reason: /SPOOL_MAX_BYTES/ });
  t.match(await checkSpoolSpace(dir, { maxBytes: 1e15, minFreeBytes: 1e15 }), { ok: false, reason: /SPOOL_MIN_FREE_BYTES/ });
  const floor = await checkSpoolSpace(dir, { maxBytes: 1e15, minFreeBytes: ok.freeBytes - 4096 });
  t.ok(floor.headroomBytes <= 4096 + 1e6, 'headroom is bounded by the floor');
  await t.rejects(checkSpoolSpace(path.join(dir, 'missing'), { maxBytes: 1, minFreeBytes: 0 }), { code: 'ENOENT' });
});

t.test('a file under two names (a commit between link and unlink) is counted once', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-space-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.zip.part'), Buffer.alloc(1000));
  fs.linkSync(path.join(dir, 'a.zip.part'), path.join(dir, 'a.zip'));
  fs.writeFileSync(path.join(dir, 'b.zip'), Buffer.alloc(300));
  t.match(await checkSpoolSpace(dir, { maxBytes: 2000, minFreeBytes: 0 }), { ok: true, usedBytes: 1300, headroomBytes: 700 });
});

t.test('reservations: 16 writers at once never pass the cap together; a dead writer holds nothing', async (t) => {
  const { SpoolReservation } = await import('../../src/shared/spool-space.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-space-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const MiB = 1 << 20;
  const limits = { maxBytes: 40 * MiB, minFreeBytes: 0 };
  // A reservation left by a composer that was killed: its pid is gone, so it must not count.
  fs.mkdirSync(path.join(dir, '.reservations'));
  fs.writeFileSync(path.join(dir, '.reservations', '999999999.deadbeef.json'), JSON.stringify({ file: 'x.zip.part', bytes: 30 * MiB }));
  let peak = 0;
  const results = await Promise.all(Array.from({ length: 16 }, async (_, i) => {
    const file = `d${i}.zip.part`;
    let r;
    try {
      r = await SpoolReservation.take(dir, limits, file, MiB);
      for (let written = 0; written < 8 * MiB; written += MiB) {
        await r.grow(written + 4 * MiB, written + MiB);
        fs.appendFileSync(path.join(dir, file), Buffer.alloc(MiB));
        const used = fs.readdirSync(dir).filter((f) => f.endsWith('.part')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
        peak = Math.max(peak, used);
      }
      return 'whole';
    } catch (e) {
      fs.rmSync(path.join(dir, file), { force: true }); // as a refused spool file is removed
      return (e as { code?: string }).code;
    } finally {
      await r?.release();
    }
  }));
  t.ok(peak <= limits.maxBytes, `peak spool use ${peak} bytes, cap ${limits.maxBytes}`);
  t.ok(results.filter((r) => r === 'whole').length >= 4, `${results.filter((r) => r === 'whole').length} of 16 fit whole (8 MiB each under a 40 MiB cap)`);
  t.ok(results.every((r) => r === 'whole' || r === 'CDC_SPOOL_FULL'), 'the others were refused with CDC_SPOOL_FULL');
  t.same(fs.readdirSync(path.join(dir, '.reservations')), [], 'every reservation released, the dead one removed');
});
