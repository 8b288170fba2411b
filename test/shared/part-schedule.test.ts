// The part schedule and the memory plan: pure arithmetic, checked from 1 byte to S3's 5 TiB.
import t, { type Test } from 'tap';
import { capacityBytes, fixedSchedule, partBytes, partsFor, scheduleProblem, type PartSchedule } from '../../src/shared/part-schedule.ts';
import { blocksInFlight, DEFAULT_MEMORY_MIB, DEFAULT_RELEASE_BUFFER_MIB, partsInFlight, planMemory, releaseInMemory } from '../../src/shared/memory-plan.ts';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MIN_PART_BYTES } from '../../src/shared/s3-limits.ts';
import { parseManifest } from '../../src/shared/spool/manifest.ts';
import { loadConfig } from '../../src/shared/config.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Cuts `bytes` as an upload would: every part's size, in order. */
function cut(s: PartSchedule, bytes: number): number[] {
  const sizes: number[] = [];
  let left = bytes;
  for (let n = 1; left > 0 || n === 1; n++) {
    const size = Math.min(left, partBytes(s, n));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function checkCut(t: Test, s: PartSchedule, bytes: number): void {
  const sizes = cut(s, bytes);
  const sum = sizes.reduce((a, b) => a + b, 0);
  const short = sizes.slice(0, -1).filter((x) => x < MIN_PART_BYTES).length;
  const over = sizes.filter((x) => x > MAX_PART_BYTES).length;
  t.ok(sum === bytes && short === 0 && over === 0 && sizes.length <= s.maxParts,
    `${bytes} bytes: ${sizes.length} parts (limit ${s.maxParts}), ${short} short, ${over} over 5 GiB`);
  t.equal(partsFor(s, bytes), sizes.length, `partsFor agrees at ${bytes} bytes`);
}

// 1 byte, the S3 minimum and its neighbours, every power of two to 4 TiB, 5 TiB itself.
const SIZES = [0, 1, MIN_PART_BYTES - 1, MIN_PART_BYTES, MIN_PART_BYTES + 1, ...Array.from({ length: 43 }, (_, i) => 2 ** i), 3 * 1024 ** 4, MAX_OBJECT_BYTES];

t.test('every dump up to the capacity is cut into valid parts, for each memory setting and part limit', async (t) => {
  for (const maxParts of [10_000, 1_000, 20]) {
    for (const mib of [16, 64, 256, 1024, 8192]) {
      const plan = planMemory(mib, maxParts);
      const s = plan.schedule;
      t.equal(scheduleProblem(s), undefined, `${mib} MiB, ${maxParts} parts: a valid schedule`);
      const cap = capacityBytes(s);
      for (const bytes of SIZES.filter((b) => b <= cap)) checkCut(t, s, bytes);
      checkCut(t, s, cap); // exactly full
      t.equal(partsFor(s, cap + 1), maxParts + 1, 'one byte more does not fit');
      // The parts held never exceed the budget, whatever size they have grown to.
      for (let n = 1; n <= maxParts; n += Math.max(1, Math.floor(maxParts / 10))) {
        const size = partBytes(s, n);
        const held = size * (partsInFlight(plan.partBudgetBytes, size, plan.uploadConcurrency) + 1);
        t.ok(held <= plan.partBudgetBytes, `${mib} MiB: part ${n} of ${size} bytes, ${held} held <= ${plan.partBudgetBytes}`);
      }
    }
  }
});

t.test('parts grow: small dumps cost small parts, 5 TiB fits in 10,000 parts with 8 GiB of memory', async (t) => {
  const s = planMemory(8192, 10_000).schedule;
  t.equal(partBytes(s, 1), 8 * MiB);
  t.equal(partBytes(s, 1000), 8 * MiB);
  t.equal(partBytes(s, 1001), 16 * MiB);
  t.ok(capacityBytes(s) >= MAX_OBJECT_BYTES, `capacity ${capacityBytes(s)} >= 5 TiB`);
  t.ok(partsFor(s, MAX_OBJECT_BYTES) <= 10_000);
  // The default memory setting: the 78 GiB ceiling of fixed 8 MiB parts is gone.
  const d = loadConfig({}).config.partSchedule;
  t.same(d, { firstBytes: 8 * MiB, maxBytes: 12 * MiB, maxParts: 10_000 });
  t.ok(capacityBytes(d) > 100 * GiB, `default capacity ${(capacityBytes(d) / GiB).toFixed(1)} GiB`);
  // Stored (no compression): no blocks, and the upload sets the pace, so all of the memory holds
  // parts, and the largest is a third of it: two in flight while one fills, even at the largest.
  const stored = loadConfig({ COMP_COMPRESSION: 'false' }).config;
  t.same([stored.memory.blockBudgetBytes, stored.memory.partBudgetBytes, stored.partSchedule.maxBytes], [0, 32 * MiB, 10 * MiB]);
  t.equal(partsInFlight(stored.memory.partBudgetBytes, 8 * MiB, stored.memory.uploadConcurrency), 3, 'three 8 MiB parts in flight');
  t.equal(partsInFlight(stored.memory.partBudgetBytes, 10 * MiB, stored.memory.uploadConcurrency), 2, 'two 10 MiB parts in flight: 30 of the 32 MiB held');
  t.ok(capacityBytes(stored.partSchedule) > 95 * GiB, `stored capacity ${(capacityBytes(stored.partSchedule) / GiB).toFixed(1)} GiB`);
  // A compressed core keeps one part in flight at its largest: the compressor, not the upload, is its pace.
  const d64 = loadConfig({ COMP_MEMORY_MIB: '64' }).config;
  t.equal(partsInFlight(d64.memory.partBudgetBytes, d64.partSchedule.maxBytes, d64.memory.uploadConcurrency), 1);
  t.equal(capacityBytes(fixedSchedule(8 * MiB)), 10_000 * 8 * MiB, 'fixed parts: the old ceiling');
});

t.test('S3_MAX_PARTS and the older knobs', async (t) => {
  const swift = loadConfig({ S3_MAX_PARTS: '1000', COMP_MEMORY_MIB: '64' }).config;
  t.equal(swift.partSchedule.maxParts, 1000);
  t.equal(partBytes(swift.partSchedule, 101), 16 * MiB, 'doubling every tenth of the limit');
  const old = loadConfig({ COMP_PART_SIZE_MIB: '16', COMP_UPLOAD_CONCURRENCY: '6' }).config;
  t.equal(old.partSizeBytes, 16 * MiB);
  t.equal(old.uploadConcurrency, 6);
  t.ok(old.memory.partBudgetBytes >= 16 * MiB * 7, 'explicit knobs are honoured beyond the budget');
  const { warnings } = loadConfig({ S3_MAX_PARTS: '20000', COMP_MEMORY_MIB: '1' });
  t.equal(warnings.length, 2);
  t.equal(loadConfig({ COMP_MEMORY_MIB: '256' }).config.memory.blockBudgetBytes, 64 * MiB);
  // The release buffer is on disk, apart from the memory setting: parts and blocks keep all of it.
  // Held in memory (no file to be had), it borrows the setting: at most all of it.
  const rel = loadConfig({ COMP_MEMORY_MIB: '128', COMP_RELEASE_BUFFER_MIB: '64' }).config.memory;
  t.same({ release: rel.releaseBufferBytes, blocks: rel.blockBudgetBytes, parts: rel.partBudgetBytes }, { release: 64 * MiB, blocks: 32 * MiB, parts: 96 * MiB });
  const big = loadConfig({ COMP_RELEASE_BUFFER_MIB: '1000' }).config.memory;
  t.same([big.releaseBufferBytes, releaseInMemory(big)], [1000 * MiB, DEFAULT_MEMORY_MIB * MiB]);
  const dflt = loadConfig({}).config.memory;
  t.same([dflt.releaseBufferBytes, releaseInMemory(dflt)], [DEFAULT_RELEASE_BUFFER_MIB * MiB, DEFAULT_MEMORY_MIB * MiB]);
  t.equal(loadConfig({ COMP_RELEASE_BUFFER_MIB: '0' }).config.memory.releaseBufferBytes, 0);
});

t.test('blocks in flight follow the threads, within the block budget', async (t) => {
  t.equal(blocksInFlight(16 * MiB, MiB, 2), 6);
  t.equal(blocksInFlight(16 * MiB, MiB, 16), 8);
  t.equal(blocksInFlight(16 * MiB, 2 * MiB, 2), 4);
  t.equal(blocksInFlight(4 * MiB, 2 * MiB, 8), 2);
});

const manifest = (over: Record<string, unknown>) => JSON.stringify({
  version: 1, bucket: 'b', key: 'k.zip', uploadId: 'u', partSize: 5 * MiB, parts: [], restFile: 'k.zip.rest', restBytes: 0, createdAt: '', ...over,
});

t.test('manifests: old fixed-part ones still parse; growing ones are checked against their schedule', async (t) => {
  const part = (n: number, size: number) => ({ partNumber: n, etag: `"e${n}"`, size });
  t.ok(parseManifest(manifest({ parts: [part(1, 5 * MiB), part(2, 5 * MiB)], restBytes: 3 }), 'old'));
  t.throws(() => parseManifest(manifest({ parts: [part(1, 6 * MiB)], restBytes: 3 }), 'old'), /not the schedule's size/);
  const schedule = { maxBytes: 20 * MiB, maxParts: 20 }; // doubles every 2 parts: 5, 5, 10, 10, 20...
  const grown = [part(1, 5 * MiB), part(2, 5 * MiB), part(3, 10 * MiB)];
  t.ok(parseManifest(manifest({ schedule, parts: grown, restBytes: 30 * MiB }), 'grown'));
  t.throws(() => parseManifest(manifest({ schedule, parts: [part(1, 5 * MiB), part(2, 5 * MiB), part(3, 5 * MiB)], restBytes: 1 }), 'g'), /not the schedule's size/);
  // 3 parts + the rest must fit in 20: 10 + 20 x 16 MiB... = beyond the limit.
  t.throws(() => parseManifest(manifest({ schedule, parts: grown, restBytes: 400 * MiB }), 'g'), /too many parts/);
  t.throws(() => parseManifest(manifest({ schedule: { maxBytes: 6 * GiB, maxParts: 20 } }), 'g'), /part schedule/);
  t.throws(() => parseManifest(manifest({ schedule: 'x' }), 'g'), /schedule malformed/);
  // A hostile rest size costs no more than the part limit in arithmetic.
  t.throws(() => parseManifest(manifest({ schedule, restBytes: Number.MAX_SAFE_INTEGER }), 'g'), /too many parts/);
});
