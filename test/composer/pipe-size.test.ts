// widenPipe on each kind of stdin the composer can get: a pipe (the kernel's) grows to 1 MiB, as
// fcntl(F_GETPIPE_SZ) then reads it; a file, a socket and a runtime without node:ffi are left alone.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MODULE = new URL('../../src/composer/pipe-size.ts', import.meta.url).pathname;
// The child widens its stdin, then asks the kernel for the size on its own (F_GETPIPE_SZ = 1032).
const CHILD = `
import { widenPipe } from ${JSON.stringify(MODULE)};
const got = widenPipe(0, 1 << 20);
let kernel = null;
try {
  const ffi = process.getBuiltinModule('node:ffi');
  kernel = ffi.dlopen(null, { fcntl: { arguments: ['int32', 'int32', 'int32'], return: 'int32' } }).functions.fcntl(0, 1032, 0);
} catch {}
process.stdout.write(JSON.stringify({ got: got ?? null, kernel }));
`;

function run(stdin: string, flags: string[] = []): { got: number | null; kernel: number | null; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-pipe-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = path.join(dir, 'child.mts');
  fs.writeFileSync(child, CHILD);
  const err = path.join(dir, 'stderr');
  const out = execFileSync('sh', ['-c', `${stdin} "$0" "$@" 2>${err}`, process.execPath, ...flags, child], { encoding: 'utf8' });
  return { ...JSON.parse(out), stderr: fs.readFileSync(err, 'utf8') };
}

t.test('a pipe grows to 1 MiB, and nothing is printed about node:ffi', async (t) => {
  const r = run('printf core |');
  t.equal(r.got, 1 << 20);
  t.equal(r.kernel, 1 << 20, 'the kernel says the same');
  t.equal(r.stderr, '', 'no experimental-feature notice on stderr');
});

t.test('a file on stdin is left alone', async (t) => {
  const r = run(`exec <${JSON.stringify(MODULE)}`);
  t.equal(r.got, null);
  t.equal(r.kernel, -1, 'not a pipe');
});

t.test('without node:ffi the pipe stays as it was, and nothing throws', async (t) => {
  const r = run('printf core |', ['--no-experimental-ffi']);
  t.equal(r.got, null);
});
