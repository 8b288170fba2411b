// The release buffer's file (release-file.ts): nameless in CORE_DIR, refused where it would be
// memory after all (tmpfs), where the disk is short, and through a symlinked directory.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openReleaseFile } from '../../src/composer/release-file.ts';

const MiB = 1024 * 1024;

function tempDir(t: { teardown(fn: () => void): void }, base = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(base, 'cdc-release-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('writes and reads back in order; leaves no name in the directory', async (t) => {
  const dir = tempDir(t);
  const f = openReleaseFile(dir, 4 * MiB, 0);
  if (!f) throw new Error('no release file on the temp dir');
  const a = Buffer.alloc(MiB + 3, 1);
  const b = Buffer.alloc(5, 2);
  t.ok(f.write(a) && f.write(b));
  t.equal(f.unread, a.length + b.length);
  t.same(fs.readdirSync(dir), []);
  const into = Buffer.alloc(MiB);
  const got: Buffer[] = [];
  for (let n = f.read(into); n > 0; n = f.read(into)) got.push(Buffer.from(into.subarray(0, n)));
  t.ok(Buffer.concat(got).equals(Buffer.concat([a, b])));
  t.equal(f.unread, 0);
  f.close();
  f.close(); // twice is harmless
});

t.test('refused on tmpfs (memory anyway), short of space, through a symlink, or on a missing directory', async (t) => {
  const shm = fs.statfsSync('/dev/shm');
  t.equal(shm.type, 0x01021994, '/dev/shm is tmpfs on this machine');
  t.equal(openReleaseFile(tempDir(t, '/dev/shm'), MiB, 0), undefined, 'tmpfs');
  const dir = tempDir(t);
  t.equal(openReleaseFile(dir, MiB, Number.MAX_SAFE_INTEGER), undefined, 'less free than SPOOL_MIN_FREE_BYTES + the buffer');
  const link = path.join(tempDir(t), 'cores');
  fs.symlinkSync(dir, link);
  t.equal(openReleaseFile(link, MiB, 0), undefined, 'CORE_DIR a symlink');
  t.equal(openReleaseFile(path.join(dir, 'missing'), MiB, 0), undefined, 'no such directory');
});
