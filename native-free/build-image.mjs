#!/usr/bin/env node
// `npm run image`: builds the agent image from the Dockerfile with Debian's buildah (no engine, no
// registry, no base image pulled), one OCI archive per architecture plus a multi-arch index:
//
//   dist/image/core-dump-handler-amd64.oci.tar   dist/image/core-dump-handler-arm64.oci.tar
//   dist/image/core-dump-handler.oci.tar         (index of both, when both are built)
//
//   node native-free/build-image.mjs [--arch amd64|arm64]...   (default: both)
//
// Per architecture: the pinned runtime (node-runtime.mjs), the image root made by
// build-image-root.mjs with that runtime and the arch's Debian libraries, then `buildah build`
// with that root as the `rootfs` build context. Every input goes into a label. An archive whose
// inputs (root tree, Dockerfile, labels) have not changed is not rebuilt: its key is kept beside it.
// Needs root and the packages of scripts/setup-machine.sh.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { nodeRuntime } from './node-runtime.mjs';

export const imageDir = path.resolve('dist/image');
export const archivePath = (arch) => path.join(imageDir, `core-dump-handler-${arch}.oci.tar`);
export const imageRef = (arch) => `localhost/core-dump-handler:${version()}-${arch}`;
const cacheDir = path.join(imageDir, 'cache');
const storage = path.join(imageDir, 'buildah');
const store = ['--root', path.join(storage, 'root'), '--runroot', path.join(storage, 'run'), '--storage-driver', 'vfs'];
const buildah = (...a) => execFileSync('buildah', [...store, ...a], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

function version() {
  return JSON.parse(fs.readFileSync('package.json', 'utf8')).version;
}

/** sha256 over a tree's paths, modes and contents, in a stable order. */
function treeDigest(dir) {
  const h = createHash('sha256');
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const st = fs.lstatSync(path.join(dir, rel));
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isFile()) h.update(fs.readFileSync(path.join(dir, rel)));
  }
  return h.digest('hex');
}

function gitRevision() {
  try {
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'native-free', 'Dockerfile', 'package-lock.json'], { encoding: 'utf8' }).trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return 'unknown';
  }
}

/** The image's labels: what it is, and every pinned input that went into it. */
function labels(arch, runtime, inputs) {
  const sha = (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  const debs = [...new Set(Object.values(inputs.libraries).map((l) => `${l.package}=${l.version}`))].sort();
  const p = 'io.github.core-dump-handler';
  return {
    'org.opencontainers.image.version': version(),
    'org.opencontainers.image.revision': gitRevision(),
    [`${p}.arch`]: arch,
    [`${p}.node`]: `${runtime.name}@${runtime.version} ${runtime.integrity}`,
    [`${p}.npm-lockfile-sha256`]: sha('package-lock.json'),
    [`${p}.debian-packages`]: debs.join(' '),
    [`${p}.agent-sha256`]: sha(path.join(imageDir, `rootfs-${arch}/app/agent.cjs`)),
    [`${p}.composer-sha256`]: sha(path.join(imageDir, `rootfs-${arch}/app/cdc.cjs`)),
  };
}

/** Builds one architecture's archive (unless its key is unchanged); returns whether it built. */
export function buildArch(arch) {
  const runtime = nodeRuntime(arch, cacheDir);
  const root = path.join(imageDir, `rootfs-${arch}`);
  const inputsFile = path.join(imageDir, `rootfs-${arch}.inputs.json`);
  fs.rmSync(root, { recursive: true, force: true });
  execFileSync(process.execPath, ['native-free/build-image-root.mjs', root, '--node', runtime.node, '--with-libs', '--inputs', inputsFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
  if (inputs.arch !== arch) throw new Error(`runtime for ${arch} is an ${inputs.arch} binary`);
  const lbl = labels(arch, runtime, inputs);
  const key = createHash('sha256').update(treeDigest(root)).update(fs.readFileSync('Dockerfile')).update(JSON.stringify(lbl)).digest('hex');
  const keyFile = `${archivePath(arch)}.key`;
  if (fs.existsSync(archivePath(arch)) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) return false;

  // Reproducible: the layer's timestamps are the last commit's time, not the build's.
  const epoch = execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8' }).trim() || '0';
  buildah('build', '--isolation', 'chroot', '--platform', `linux/${arch}`, '--build-context', `rootfs=${root}`,
    '--timestamp', epoch, '--omit-history', ...Object.entries(lbl).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    '-t', imageRef(arch), '-f', 'Dockerfile', '.');
  fs.rmSync(archivePath(arch), { force: true });
  buildah('push', '--quiet', imageRef(arch), `oci-archive:${archivePath(arch)}:${imageRef(arch).split(':').at(-1)}`);
  fs.writeFileSync(keyFile, key);
  return true;
}

/** The multi-arch index of the archives built in this run, from buildah's store. */
function buildIndex(arches) {
  const list = `localhost/core-dump-handler:${version()}`;
  buildah('manifest', 'create', list); // the store is new each run (removed at the end)
  for (const arch of arches) buildah('manifest', 'add', list, `oci-archive:${archivePath(arch)}`);
  const out = path.join(imageDir, 'core-dump-handler.oci.tar');
  fs.rmSync(out, { force: true });
  buildah('manifest', 'push', '--quiet', '--all', list, `oci-archive:${out}:${version()}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const a = process.argv.slice(2);
  const arches = a.includes('--arch') ? a.filter((_, i) => a[i - 1] === '--arch') : ['amd64', 'arm64'];
  fs.mkdirSync(imageDir, { recursive: true });
  try {
    for (const arch of arches) {
      const t0 = Date.now();
      const built = buildArch(arch);
      const mib = (fs.statSync(archivePath(arch)).size / 2 ** 20).toFixed(1);
      console.log(`${archivePath(arch)}: ${mib} MiB ${built ? `built in ${((Date.now() - t0) / 1000).toFixed(0)} s` : '(up to date)'}`);
    }
    if (arches.length > 1) buildIndex(arches);
  } finally {
    fs.rmSync(storage, { recursive: true, force: true }); // buildah's vfs store: the archives are the output
  }
}
