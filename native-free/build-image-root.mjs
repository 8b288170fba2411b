#!/usr/bin/env node
// Builds the container image's file tree into a folder: the Dockerfile's build stage runs exactly
// this, `npm run image` (native-free/build-image.mjs) runs it per architecture, and
// test/native-free/image-root.test.ts runs it here.
//
//   node native-free/build-image-root.mjs OUT [--node PATH] [--with-libs] [--inputs FILE]
//
// OUT/app/agent.cjs   the agent (command: node /app/agent.cjs run)
// OUT/app/cdc.cjs     the composer bundle the agent copies to each host
// OUT/app/node        the Node runtime: runs the agent and is copied to each host next to cdc.cjs
// OUT/app/cdh.cjs     the dump browser; OUT/app/cdh runs it (PATH=/app: `kubectl exec ... -- cdh list`)
// --node PATH         the runtime to ship; its ELF header says the architecture. Default: the
//                     pinned `node` npm package (node_modules/.bin/node), for the machine's own arch
// --with-libs         also copies the shared libraries the runtime needs, at the paths its loader
//                     searches, from this machine's multiarch directories (/lib/<triplet>: for a
//                     foreign arch, Debian's `libc6:arm64` etc.), so OUT is a complete root
// --inputs FILE       writes what went in (runtime digest, each library's Debian package and
//                     version) as JSON, for the image's labels
// Run after `npm ci`, from the repository root.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { elfNeeds } from './elf-needs.mjs';

const args = process.argv.slice(2);
const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const out = args.find((a, i) => !a.startsWith('--') && !['--node', '--inputs'].includes(args[i - 1] ?? ''));
if (!out) {
  console.error('usage: build-image-root.mjs OUT [--node PATH] [--with-libs] [--inputs FILE]');
  process.exit(64);
}
const root = path.resolve(out);
const node = fs.realpathSync(valueOf('--node') ?? 'node_modules/.bin/node');
const app = path.join(root, 'app');
fs.mkdirSync(app, { recursive: true });
const { arch } = elfNeeds(node);
const inputs = { arch, node: { sha256: sha256(node) }, libraries: {} };

// 1. The same npm step as `npm run build`, writing straight into the image tree.
execFileSync('npm', ['run', '--silent', 'build', '--', '--outdir', app], { stdio: 'inherit' });
for (const f of ['agent.cjs', 'cdc.cjs', 'cdh.cjs']) {
  if (!fs.existsSync(path.join(app, f))) throw new Error(`build produced no ${f}`);
}

// 2. The runtime. Copied, not linked: the agent copies it on to each host.
fs.copyFileSync(node, path.join(app, 'node'));
fs.chmodSync(path.join(app, 'node'), 0o755);

// The `cdh` command: the image has no shell and no /usr/bin/env, so its shebang names the runtime.
fs.writeFileSync(path.join(app, 'cdh'), '#!/app/node\nrequire("/app/cdh.cjs");\n', { mode: 0o755 });

// 3. Its shared libraries (glibc, libstdc++, libgcc_s, libatomic, the loader) for a scratch image.
if (args.includes('--with-libs')) {
  const triplet = { amd64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[arch];
  const { interp, needed } = elfNeeds(node);
  if (!interp) throw new Error(`${node} names no dynamic loader`);
  const find = (soname) => {
    for (const dir of [`/lib/${triplet}`, `/usr/lib/${triplet}`]) {
      if (fs.existsSync(path.join(dir, soname))) return path.join(dir, soname);
    }
    throw new Error(`${soname} (${arch}) not found in /lib/${triplet}: install its Debian package (scripts/setup-machine.sh)`);
  };
  // The loader at the path the runtime names; every other library where that loader looks by
  // default (the multiarch directory), following each library's own needs.
  const place = new Map([[interp, find(path.basename(interp))]]);
  const todo = [...needed];
  while (todo.length) {
    const soname = todo.shift();
    if (soname === path.basename(interp) || place.has(`/lib/${triplet}/${soname}`)) continue;
    const src = find(soname);
    place.set(`/lib/${triplet}/${soname}`, src);
    todo.push(...elfNeeds(fs.realpathSync(src)).needed);
  }
  for (const [dest, src] of place) {
    fs.mkdirSync(path.dirname(path.join(root, dest)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(src), path.join(root, dest)); // the file itself, under the name the loader asks for
    inputs.libraries[dest] = { ...debianPackage(src), sha256: sha256(src) };
  }
  const tmp = path.join(root, 'tmp'); // for tools that expect /tmp (mounted read-only in the chart)
  fs.mkdirSync(tmp, { recursive: true });
  fs.chmodSync(tmp, 0o1777);
}
if (valueOf('--inputs')) fs.writeFileSync(valueOf('--inputs'), `${JSON.stringify(inputs, null, 2)}\n`);
console.log(`image root (${arch}) ready in ${out}`);

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The Debian package (name:arch and version) that owns a library, for the labels. */
function debianPackage(file) {
  for (const f of [file, fs.realpathSync(file)]) {
    try {
      const owner = execFileSync('dpkg-query', ['-S', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':').slice(0, 2).join(':');
      const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', owner], { encoding: 'utf8' });
      return { package: owner, version };
    } catch { /* try the resolved path, then give up */ }
  }
  return { package: 'unknown', version: 'unknown' };
}
