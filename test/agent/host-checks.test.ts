// Host checks at install, on this machine's real kernel: a noexec HOST_DIR (a real noexec tmpfs)
// is refused; the self-test crash runs the installed launcher from the host's view and reports the
// runtime and the host's glibc; a runtime the host cannot exec (the arm64 one, the original's
// "exec format error") fails the self-test. The glibc-too-old host fails the same way (the loader
// refuses the runtime before any of our code runs), which this amd64 glibc-2.36 host cannot show.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkExecMount, mountOf, selfTest } from '../../src/agent/install/host-checks.ts';
import { launcherScript } from '../../src/agent/install/launcher.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { nodeRuntime } from '../../native-free/node-runtime.mjs';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-hostcheck-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));

/** A HOST_DIR with the runtime given and the real launcher; no composer bundle is needed. */
function hostDir(name: string, runtime: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  fs.copyFileSync(runtime, path.join(dir, 'node'));
  fs.chmodSync(path.join(dir, 'node'), 0o755);
  fs.writeFileSync(path.join(dir, 'cdc'), launcherScript(dir), { mode: 0o755 });
  return dir;
}

t.test('mountOf picks the longest mount point holding the directory', async (t) => {
  const info = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '30 22 0:5 / /var/mnt rw,nosuid,nodev,noexec shared:2 - tmpfs tmpfs rw',
    '31 22 0:6 / /var/mnt2 rw shared:3 - tmpfs tmpfs rw',
  ].join('\n');
  t.same(mountOf(info, '/var/mnt/core-dump-handler'), { mountPoint: '/var/mnt', options: ['rw', 'nosuid', 'nodev', 'noexec'] });
  t.equal(mountOf(info, '/var/mnt2x/h')?.mountPoint, '/');
});

t.test('a HOST_DIR on a noexec mount is refused with CDC_HOST_NOEXEC', async (t) => {
  const mnt = path.join(root, 'noexec');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=1m', 'cdc-noexec', mnt]);
  t.teardown(() => execFileSync('umount', ['-l', mnt]));
  await t.rejects(checkExecMount(path.join(mnt, 'core-dump-handler')), { code: 'CDC_HOST_NOEXEC' });
  await t.resolves(checkExecMount(root), 'an exec mount passes');
});

t.test('self-test: the kernel runs the installed launcher; it reports the runtime and host glibc', async (t) => {
  const dir = hostDir('ok', fs.realpathSync(process.execPath));
  const r = await withCorePattern(`|${dir}/cdc -e=%e -p=%p`, () => selfTest(dir, 10_000));
  t.equal(r.node, process.version);
  t.match(r.glibc, /^2\.\d+$/);
  t.same(fs.readdirSync(dir).sort(), ['cdc', 'node'], 'request and result removed');
  t.comment(`self-test round trip ${r.ms} ms`);
});

t.test('self-test: a runtime the host cannot exec fails with CDC_HOST_LAUNCH_FAILED', async (t) => {
  // The pinned runtime the arm64 image ships, from the image build's cache.
  const arm64 = nodeRuntime('arm64', path.resolve(import.meta.dirname, '../../dist/image/cache')).node;
  const dir = hostDir('foreign', arm64);
  await withCorePattern(`|${dir}/cdc -e=%e -p=%p`, async () => {
    await t.rejects(selfTest(dir, 3_000), { code: 'CDC_HOST_LAUNCH_FAILED' });
  });
});
