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
