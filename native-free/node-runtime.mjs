// The pinned Node runtime for one architecture, as a file on disk: `npm pack` of the registry's
// node-linux-* package at the `node` devDependency's version, its digest checked against
// node-runtime.lock.json, bin/node extracted into a cache. npm's own cache makes a rerun offline.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const lock = JSON.parse(fs.readFileSync(new URL('./node-runtime.lock.json', import.meta.url), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** @returns {{ node: string, name: string, version: string, integrity: string }} */
export function nodeRuntime(arch, cacheDir) {
  const version = pkg.devDependencies.node;
  if (version !== lock.version) throw new Error(`node-runtime.lock.json pins ${lock.version} but package.json's node is ${version}`);
  const entry = lock.packages[arch];
  if (!entry) throw new Error(`no Node runtime pinned for ${arch}`);
  const dir = path.join(cacheDir, `${entry.name}-${version}`);
  const node = path.join(dir, 'package/bin/node');
  const stamp = path.join(dir, 'integrity');
  if (fs.existsSync(node) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === entry.integrity) {
    return { node, name: entry.name, version, integrity: entry.integrity };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', `${entry.name}@${version}`, '--pack-destination', dir], { encoding: 'utf8' });
  const tgz = path.join(dir, out.trim().split('\n').at(-1));
  const got = `sha512-${createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')}`;
  if (got !== entry.integrity) throw new Error(`${entry.name}@${version}: digest ${got} is not the pinned ${entry.integrity}`);
  execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node', 'package/package.json']);
  fs.rmSync(tgz);
  fs.writeFileSync(stamp, entry.integrity);
  return { node, name: entry.name, version, integrity: entry.integrity };
}
