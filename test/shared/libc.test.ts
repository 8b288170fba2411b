// mallocTrim (shared/libc.ts) in a real process: free pages inside glibc's heap, held below a
// live allocation (so free() itself cannot give them back from the top), leave the process's RSS
// when it is called; without node:ffi it reports undefined and changes nothing.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MODULE = new URL('../../src/shared/libc.ts', import.meta.url).pathname;
const CHILD = `
import fs from 'node:fs';
import { mallocTrim } from ${JSON.stringify(MODULE)};
const heapKiB = () => {
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf('[heap]');
  return at < 0 ? 0 : Number(/Rss:\\s+(\\d+)/.exec(smaps.slice(at))[1]);
};
// 256 x 100 KiB: under glibc's 128 KiB mmap threshold, so they come from the heap.
let held = Array.from({ length: 256 }, () => Buffer.alloc(100 * 1024, 1));
const pin = Buffer.alloc(100 * 1024, 2); // above them: the freed space is a hole, not the top
held = null;
globalThis.gc(); globalThis.gc();
const before = heapKiB();
const trimmed = mallocTrim();
const after = heapKiB();
process.stdout.write(JSON.stringify({ before, after, trimmed: trimmed ?? null, pin: pin[0] }));
`;

function run(flags: string[]): { before: number; after: number; trimmed: boolean | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-libc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = path.join(dir, 'child.mts');
  fs.writeFileSync(child, CHILD);
  // The composer's own malloc settings (launcher.ts), so the buffers land where they do there.
  const env = { ...process.env, MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' };
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', ...flags, child], { encoding: 'utf8', env }));
}

t.test('mallocTrim gives the free pages inside the heap back', async (t) => {
  const r = run([]);
  t.equal(r.trimmed, true, 'malloc_trim says it released memory');
  t.ok(r.before - r.after >= 16 * 1024, `heap RSS ${r.before} -> ${r.after} KiB: at least 16 of the 25 MiB freed are gone`);
});

t.test('without node:ffi it reports undefined and the heap stays', async (t) => {
  const r = run(['--no-experimental-ffi']);
  t.equal(r.trimmed, null);
  t.ok(r.before - r.after < 1024, `heap RSS ${r.before} -> ${r.after} KiB`);
});
