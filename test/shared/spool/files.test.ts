// Atomic placement (shared/spool/files.ts), as the agent uses it in HOST_DIR: the target is the old file or the new one, whole, with its mode;
// a reader of the old file keeps the old bytes; no temp file is left behind.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileAtomic, removeStaleTemps, writeFileAtomic } from '../../../src/shared/spool/index.ts';
import { sameFile } from '../../../src/agent/install/same-file.ts';
import { waitFor } from '../../helpers/wait-for.ts';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-atomic-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (f: string) => fs.statSync(f).mode & 0o7777;
const ls = (dir: string) => fs.readdirSync(dir).sort();

t.test('writeFileAtomic: content and mode, whatever the umask, and no temp left', async (t) => {
  const dir = scratch(t);
  const target = path.join(dir, '.env');
  const old = process.umask(0o077);
  t.teardown(() => void process.umask(old));
  await writeFileAtomic(target, 'A=1\n', 0o640);
  t.equal(fs.readFileSync(target, 'utf8'), 'A=1\n');
  t.equal(mode(target), 0o640);
  await writeFileAtomic(target, Buffer.from('A=2\n'), 0o600);
  t.equal(fs.readFileSync(target, 'utf8'), 'A=2\n');
  t.equal(mode(target), 0o600);
  t.same(ls(dir), ['.env']);
});

t.test('copyFileAtomic: the same bytes, the given mode, no temp left', async (t) => {
  const dir = scratch(t);
  const source = path.join(dir, 'source');
  const data = randomBytes(3 * 1024 * 1024 + 5);
  fs.writeFileSync(source, data, { mode: 0o600 });
  const target = path.join(dir, 'cdc.cjs');
  await copyFileAtomic(source, target, 0o755);
  t.ok(fs.readFileSync(target).equals(data));
  t.equal(mode(target), 0o755);
  t.same(ls(dir), ['cdc.cjs', 'source']);
});

t.test('a replaced target is a new inode: an open fd of the old file still reads the old bytes', async (t) => {
  const dir = scratch(t);
  const target = path.join(dir, 'node');
  const oldBytes = randomBytes(256 * 1024);
  const newBytes = randomBytes(128 * 1024);
  await writeFileAtomic(target, oldBytes, 0o755);
  const fd = fs.openSync(target, 'r');
  t.teardown(() => fs.closeSync(fd));
  const oldIno = fs.fstatSync(fd).ino;

  const source = path.join(dir, 'node-new');
  fs.writeFileSync(source, newBytes);
  await copyFileAtomic(source, target, 0o755);
  const seen = Buffer.alloc(oldBytes.length);
  t.equal(fs.readSync(fd, seen, 0, seen.length, 0), oldBytes.length);
  t.ok(seen.equals(oldBytes), 'the old reader sees the old file, whole');
  t.ok(fs.readFileSync(target).equals(newBytes), 'the path names the new file');
  t.not(fs.statSync(target).ino, oldIno);

  await writeFileAtomic(target, 'third', 0o755);
  t.equal(fs.readSync(fd, seen, 0, seen.length, 0), oldBytes.length);
  t.ok(seen.equals(oldBytes), 'and again after writeFileAtomic');
  t.same(ls(dir), ['node', 'node-new']);
});

t.test('a failed rename (the target is a directory) leaves the target and no temp', async (t) => {
  const dir = scratch(t);
  const target = path.join(dir, 'cdc');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'x');
  await t.rejects(writeFileAtomic(target, 'data', 0o755), { code: 'EISDIR' });
  const source = path.join(dir, 'source');
  fs.writeFileSync(source, 'data');
  await t.rejects(copyFileAtomic(source, target, 0o755), { code: 'EISDIR' });
  t.same(ls(dir), ['cdc', 'source']);
  t.same(ls(target), ['inside']);
});

t.test('a missing source or directory fails and creates nothing', async (t) => {
  const dir = scratch(t);
  await t.rejects(copyFileAtomic(path.join(dir, 'absent'), path.join(dir, 'cdc.cjs'), 0o755), { code: 'ENOENT' });
  await t.rejects(writeFileAtomic(path.join(dir, 'no-dir', '.env'), 'x', 0o600), { code: 'ENOENT' });
  t.same(ls(dir), []);
});

t.test('sameFile: true only for the same bytes and the same mode', async (t) => {
  const dir = scratch(t);
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'target');
  const data = randomBytes(64 * 1024);
  fs.writeFileSync(source, data);
  t.notOk(await sameFile(source, target, 0o755), 'no target yet');
  await copyFileAtomic(source, target, 0o755);
  t.ok(await sameFile(source, target, 0o755), 'a copy with the wanted mode');
  t.notOk(await sameFile(source, target, 0o700), 'the mode differs');
  const flipped = Buffer.from(data);
  flipped[flipped.length - 1]! ^= 1;
  await writeFileAtomic(target, flipped, 0o755);
  t.notOk(await sameFile(source, target, 0o755), 'same size, one byte differs');
  await writeFileAtomic(target, data.subarray(1), 0o755);
  t.notOk(await sameFile(source, target, 0o755), 'the size differs');
  t.notOk(await sameFile(path.join(dir, 'absent'), target, 0o755), 'no source');
});

t.test('removeStaleTemps removes the temps of an interrupted write, and nothing else', async (t) => {
  const dir = scratch(t);
  // The temp names the real writers use, seen as they create them.
  const seen = new Set<string>();
  const watcher = fs.watch(dir, (_event, name) => { if (name) seen.add(name); });
  t.teardown(() => watcher.close());
  await writeFileAtomic(path.join(dir, '.env'), 'A=1\n', 0o600);
  fs.writeFileSync(path.join(dir, 'source'), 'bundle');
  await copyFileAtomic(path.join(dir, 'source'), path.join(dir, 'cdc.cjs'), 0o755);
  // Names that appeared while writing and are gone now: one temp per write.
  const temps = await waitFor('both temp names', () => {
    const names = [...seen].filter((n) => !fs.existsSync(path.join(dir, n)));
    return names.length >= 2 ? names : undefined;
  }, 5_000);
  t.equal(temps.length, 2);
  // An agent killed between writing and renaming leaves exactly such files.
  for (const n of temps) fs.writeFileSync(path.join(dir, n), 'half');
  const keep = ['.env', '.saved-sysctl.json', '.cdc.cjs.tmp-notours', 'cdc.cjs', 'notes.tmp-1-abcdef12', 'source'];
  fs.writeFileSync(path.join(dir, '.saved-sysctl.json'), '{}');
  fs.writeFileSync(path.join(dir, '.cdc.cjs.tmp-notours'), 'x');
  fs.writeFileSync(path.join(dir, 'notes.tmp-1-abcdef12'), 'x');
  t.same(ls(dir), [...keep, ...temps].sort());
  await removeStaleTemps(dir);
  t.same(ls(dir), keep.sort());
  await t.resolves(removeStaleTemps(path.join(dir, 'absent')), 'a missing HOST_DIR is fine');
});

// Bug: writeFileAtomic removes its temp when fsync, chmod or rename fail, but not when the write
// itself fails: on a full HOST_DIR disk the partial temp stays, and keeps the disk full.
t.test('a write or a copy that fails on a full disk leaves no temp behind', async (t) => {
  const dir = scratch(t);
  const full = path.join(dir, 'full');
  fs.mkdirSync(full);
  // A real full disk: a 64 KiB tmpfs (the suite runs as root).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'cdc-test-full', full]);
  t.teardown(() => execFileSync('umount', [full]));
  const big = path.join(dir, 'big');
  fs.writeFileSync(big, randomBytes(1024 * 1024));
  await t.rejects(copyFileAtomic(big, path.join(full, 'node'), 0o755), { code: 'ENOSPC' });
  t.same(ls(full), [], 'the copy left nothing');
  await t.rejects(writeFileAtomic(path.join(full, 'cdc.cjs'), fs.readFileSync(big), 0o755), { code: 'ENOSPC' });
  t.same(ls(full), [], 'the write left nothing');
});
