// Builds the image's file tree with the Dockerfile's own script, then checks it the way the image
// would run: /app holds the three files, and (as root) the tree works as a FROM scratch root.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-image-root-'));
t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));

t.test('build-image-root.mjs lays out /app and the runtime libraries', async (t) => {
  const r = spawnSync(process.execPath, ['native-free/build-image-root.mjs', out, '--with-libs'], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  t.equal(r.status, 0, r.stderr);
  for (const f of ['app/agent.cjs', 'app/cdc.cjs', 'app/cdh.cjs', 'app/cdh', 'app/node']) t.ok(fs.statSync(path.join(out, f)).size > 0, f);
  t.ok(fs.statSync(path.join(out, 'app/node')).mode & 0o111, 'runtime is executable');
  const libs = fs.readdirSync(out, { recursive: true }).map(String).filter((f) => /\.so/.test(f));
  for (const l of ['libc.so.6', 'libstdc++.so.6', 'libatomic.so.1']) t.ok(libs.some((f) => f.endsWith(l)), `ships ${l}`);
  t.notOk(fs.existsSync(path.join(out, 'node_modules')) || fs.existsSync(path.join(out, 'app/node_modules')), 'no node_modules');
});

t.test('the tree runs as a scratch image root (needs root for chroot, as the whole suite does)', async (t) => {
  // env -i: tap's process tracking adds NODE_OPTIONS to every child's environment; the image has none.
  const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/app', '/usr/sbin/chroot', out, 'node', '-e', 'process.stdout.write(process.version)'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, process.version, 'same Node as the tests run on');
  // `kubectl exec ds/core-dump-handler -- cdh ...`: found on PATH, runs without a shell.
  const cdh = spawnSync('/usr/bin/env', ['-i', 'PATH=/app', '/usr/sbin/chroot', out, 'cdh', 'list'], { encoding: 'utf8' });
  t.equal(cdh.status, 1, cdh.stderr);
  t.match(cdh.stderr, /^cdh: no bucket named.*\(CDC_CLI_NO_BUCKET\)\n$/, 'cdh runs in the image and says what is missing');
});
