// The arm64 image (the original's "exec format error" on arm64 nodes), built by `npm run image`'s
// own script and run under Debian's qemu-user-static: the image's own arm64 loader and libraries
// (-L: qemu resolves the loader and library paths inside the unpacked root) start the runtime,
// and the composer, launched through the launcher as the kernel would, turns a small core into a
// zip that Info-ZIP accepts.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureImage, imageConfig, unpackImage } from '../helpers/image.ts';
import { kernelArgs, layHostDir } from '../helpers/host-layout.ts';
import { unzipTest, zipNames } from '../helpers/zip-check.ts';

const archive = ensureImage('arm64');
const { dir, rootfs } = unpackImage(archive);
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const qemu = (...argv: string[]) => ['/usr/bin/env', '-i', 'qemu-aarch64-static', '-L', rootfs, ...argv] as const;

t.test('the archive is an arm64 image with an arm64 runtime', async (t) => {
  t.equal(imageConfig(archive).architecture, 'arm64');
  const elf = fs.readFileSync(path.join(rootfs, 'app/node')).subarray(0, 20);
  t.equal(elf.readUInt16LE(18), 183, 'app/node is an aarch64 ELF (e_machine 183)');
  t.ok(fs.existsSync(path.join(rootfs, 'lib/ld-linux-aarch64.so.1')), 'the arm64 loader');
});

t.test('the runtime starts under qemu with the image\'s own libraries', async (t) => {
  const [cmd, ...argv] = qemu(path.join(rootfs, 'app/node'), '-p', '`${process.version} ${process.arch}`');
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), `${process.version} arm64`);
});

t.test('the arm64 composer turns a small core into a valid zip', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-arm64-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const { home, coreDir } = layHostDir(root, { runtime: path.join(rootfs, 'app/node'), bundle: path.join(rootfs, 'app/cdc.cjs') });
  const core = Buffer.concat([randomBytes(256 << 10), Buffer.alloc(768 << 10)]);
  // The kernel would exec HOST_DIR/cdc and follow its shebang to HOST_DIR/node; without binfmt_misc
  // qemu runs that node on the launcher itself, which Node reads the same way.
  const [cmd, ...argv] = qemu(path.join(home, 'node'), path.join(home, 'cdc'), ...kernelArgs('arm-crasher'));
  const child = spawn(cmd, argv, { cwd: '/', stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(core);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, `composer exit: ${stderr.slice(-2000)}`);
  const zips = fs.readdirSync(coreDir).filter((f) => f.endsWith('.zip'));
  t.equal(zips.length, 1, `one zip: ${fs.readdirSync(coreDir)}`);
  const zip = path.join(coreDir, zips[0] ?? 'none');
  t.match(unzipTest(zip), /No errors detected/);
  t.ok(zipNames(zip).some((n) => n.endsWith('.core')), 'a core entry');
});
