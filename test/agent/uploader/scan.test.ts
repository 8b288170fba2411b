// What the uploader may take from CORE_DIR: complete zips and partial-upload manifests, nothing a
// writer is still on, nothing hidden, nothing that is not a regular file.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { scanSpool, type SpoolScan } from '../../../src/agent/uploader/scan.ts';

function spoolDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-scan-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const put = (dir: string, name: string, bytes: number) => fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes, 1));
/** A scan in short: candidates as kind:name, the dump names, the file and byte counts. */
const brief = (s: SpoolScan) => ({ candidates: s.candidates.map((c) => `${c.kind}:${c.name}`), names: [...s.names].sort(), files: s.files, bytes: s.bytes });

t.test('zips and manifests are candidates, with their name, path, size and mtime', async (t) => {
  const dir = spoolDir(t);
  put(dir, 'a.zip', 10);
  put(dir, 'b.zip.upload.json', 20);
  put(dir, 'b.zip.rest', 30);
  const mtime = new Date('2024-05-01T10:00:00Z');
  fs.utimesSync(path.join(dir, 'a.zip'), mtime, mtime);
  const s = await scanSpool(dir);
  t.same(s.candidates, [
    { kind: 'zip', name: 'a', path: path.join(dir, 'a.zip'), size: 10, mtimeMs: mtime.getTime() },
    { kind: 'partial', name: 'b', path: path.join(dir, 'b.zip.upload.json'), size: 20, mtimeMs: fs.statSync(path.join(dir, 'b.zip.upload.json')).mtimeMs },
  ]);
  t.same(brief(s), { candidates: ['zip:a', 'partial:b'], names: ['a', 'b'], files: 3, bytes: 60 });
});

t.test('a zip with a manifest beside it is left to the manifest', async (t) => {
  const dir = spoolDir(t);
  put(dir, 'c.zip', 5);
  put(dir, 'c.zip.upload.json', 7);
  t.same(brief(await scanSpool(dir)), { candidates: ['partial:c'], names: ['c'], files: 2, bytes: 12 });
});

t.test('files still being written are named but never candidates', async (t) => {
  const dir = spoolDir(t);
  put(dir, 'd.zip.part', 1);
  put(dir, 'e.zip.rest.part', 2);
  put(dir, '.f.zip.upload.json.tmp-4242-0a1b2c3d', 3); // the manifest before its rename (a hidden temp, shared/spool/files.ts)
  t.same(brief(await scanSpool(dir)), { candidates: [], names: ['d', 'e', 'f'], files: 3, bytes: 6 }, 'named: their event records must wait');
});

t.test('hidden files and files of other names count as spool use but are not candidates', async (t) => {
  const dir = spoolDir(t);
  put(dir, '.g.zip', 4);
  put(dir, '.h.zip.upload.json', 4);
  put(dir, 'notes.txt', 8);
  put(dir, 'i.zipx', 8);
  const s = brief(await scanSpool(dir));
  t.same(s.candidates, []);
  t.notOk(s.names.includes('notes') || s.names.includes('notes.txt') || s.names.includes('i'), 'not dump files');
  t.same([s.files, s.bytes], [4, 24]);
});

t.test('a directory, a FIFO, a dangling symlink and a symlink to a directory are skipped', async (t) => {
  const dir = spoolDir(t);
  const outside = spoolDir(t);
  fs.mkdirSync(path.join(dir, 'j.zip'));
  execFileSync('mkfifo', [path.join(dir, 'k.zip')]);
  fs.symlinkSync(path.join(outside, 'nothing-here'), path.join(dir, 'l.zip'));
  fs.symlinkSync(outside, path.join(dir, 'm.zip.upload.json'));
  put(dir, 'n.zip', 3);
  t.same(brief(await scanSpool(dir)), { candidates: ['zip:n'], names: ['n'], files: 1, bytes: 3 });
});

t.test('a missing spool directory is an empty spool', async (t) => {
  const dir = spoolDir(t);
  t.same(brief(await scanSpool(path.join(dir, 'not-yet'))), { candidates: [], names: [], files: 0, bytes: 0 });
});

t.test('a spool path that is not a directory fails loudly', async (t) => {
  const dir = spoolDir(t);
  put(dir, 'file', 1);
  await t.rejects(scanSpool(path.join(dir, 'file')), { code: 'ENOTDIR' });
});

// Bug: scanSpool stat()s entries, following symlinks, so CORE_DIR/x.zip -> /any/host/file is a
// candidate and the uploader would send that host file to S3 (CORE_DIR is hostile: no symlink followed).
t.test('a symlink to a regular file outside the spool is not a candidate', async (t) => {
  const dir = spoolDir(t);
  const outside = spoolDir(t);
  put(outside, 'host-secret', 100);
  fs.symlinkSync(path.join(outside, 'host-secret'), path.join(dir, 'o.zip'));
  fs.symlinkSync(path.join(outside, 'host-secret'), path.join(dir, 'p.zip.upload.json'));
  put(dir, 'q.zip', 3);
  t.same(brief(await scanSpool(dir)), { candidates: ['zip:q'], names: ['q'], files: 1, bytes: 3 });
});
