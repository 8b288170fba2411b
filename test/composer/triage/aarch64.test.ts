// aarch64: no aarch64 machine here, so the program is cross-built and run under qemu-user, which
// writes the guest's core itself (an ELF core with NT_PRSTATUS, NT_PRPSINFO and NT_AUXV, but no
// NT_FILE or NT_SIGINFO). The reader and the x29/LR frame walk run on that core; the frames are
// checked against the program's own symbol table (gdb-multiarch cannot unwind qemu's cores).
// Without NT_FILE no frame has a module, so modules, build-ids and the fingerprint's offsets are
// not exercised on aarch64 here (only on x86_64 kernel cores).
// qemu then kills itself with the signal: its own host core goes to a handler under withCorePattern.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withKernelCores } from '../../helpers/kernel-core.ts';
import { buildTriageCrasher } from '../../helpers/triage-crasher.ts';
import { startTriage } from '../../../src/composer/triage/index.ts';
import { symbolise } from '../../../src/composer/triage/symbols.ts';

const AT_PHDR = 3;

async function guestCore(program: string, how: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-qemu-'));
  await withKernelCores(async () => {
    spawnSync('bash', ['-c', `cd ${dir} && ulimit -c unlimited; exec qemu-aarch64-static -L /usr/aarch64-linux-gnu "$0" ${how}`, program]);
  });
  const core = fs.readdirSync(dir).find((f) => f.endsWith('.core'));
  if (!core) throw new Error(`qemu wrote no core in ${dir}`);
  return path.join(dir, core);
}

async function frames(program: string, how: string) {
  const tri = startTriage({ pid: undefined, exeName: 'triage-crasher' });
  const core = await guestCore(program, how);
  for await (const c of fs.createReadStream(core)) tri.observe(c as Buffer);
  fs.rmSync(path.dirname(core), { recursive: true, force: true });
  const r = await tri.finish();
  // A PIE's program headers follow its 64-byte ELF header: AT_PHDR - 64 is where it was loaded.
  const base = r.facts.auxv.get(AT_PHDR)! - 64;
  const fd = fs.openSync(program, 'r');
  const offsets = r.analysis.frames.map((f) => f.pc - base);
  const names = await symbolise(fd, offsets, Date.now() + 5000);
  fs.closeSync(fd);
  return { r, fns: offsets.map((o) => names.get(o)?.replace(/\+0x[0-9a-f]+$/, '')), vias: r.analysis.frames.map((f) => f.via) };
}

t.test('aarch64: registers, x29 chain and LR for a leaf function', async (t) => {
  const b = buildTriageCrasher({ fp: true, cc: 'aarch64-linux-gnu-gcc', suffix: '-aarch64' });
  const segv = await frames(b.program, 'segv');
  t.equal(segv.r.facts.machine, 'aarch64');
  t.equal(segv.r.analysis.signalName, 'SIGSEGV');
  t.equal(segv.r.analysis.framePointers, true);
  t.same(segv.fns.slice(0, 4), ['crash_here', 'level2', 'level1', 'main'], 'crash_here is a leaf (no frame record): level2 comes from LR');
  t.same(segv.vias.slice(0, 4), ['pc', 'lr', 'fp', 'fp']);

  const other = await frames(b.program, 'site2');
  t.same(other.fns.slice(0, 4), ['other_site', 'level2', 'level1', 'main']);
});
