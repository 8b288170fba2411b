#!/usr/bin/env node
// Builds the container image's file tree into a folder: the Dockerfile's build stage runs exactly
// this, and test/native-free/image-root.test.ts runs it here, where no Docker engine is available.
//
//   node native-free/build-image-root.mjs OUT [--node PATH] [--with-libs]
//
// OUT/app/agent.cjs   the agent (command: node /app/agent.cjs run)
// OUT/app/cdc.cjs     the composer bundle the agent copies to each host
// OUT/app/node        the Node runtime: runs the agent and is copied to each host next to cdc.cjs
// OUT/app/cdh.cjs     the dump browser; OUT/app/cdh runs it (PATH=/app: `kubectl exec ... -- cdh list`)
// --with-libs         also copies the shared libraries the runtime needs (ldd), at their paths,
//                     so OUT is a complete root for a FROM scratch image
// Run after `npm ci`, from the repository root. --node defaults to the pinned `node` npm package
// (node_modules/.bin/node), which npm installs for the machine's own architecture.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const out = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--node');
if (!out) {
  console.error('usage: build-image-root.mjs OUT [--node PATH] [--with-libs]');
  process.exit(64);
}
const nodeArg = args.includes('--node') ? args[args.indexOf('--node') + 1] : undefined;
const node = fs.realpathSync(nodeArg ?? 'node_modules/.bin/node');
const app = path.join(path.resolve(out), 'app');
fs.mkdirSync(app, { recursive: true });

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
  const ldd = execFileSync('ldd', [node], { encoding: 'utf8' });
  const libs = [...ldd.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
  if (!libs.some((l) => /ld-linux/.test(l))) throw new Error(`no dynamic loader in ldd output:\n${ldd}`);
  for (const lib of libs) {
    const dest = path.join(path.resolve(out), lib);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dest); // the file itself, under the name the loader asks for
  }
  const tmp = path.join(path.resolve(out), 'tmp'); // for tools that expect /tmp (mounted read-only in the chart)
  fs.mkdirSync(tmp, { recursive: true });
  fs.chmodSync(tmp, 0o1777);
}
console.log(`image root ready in ${out}`);
