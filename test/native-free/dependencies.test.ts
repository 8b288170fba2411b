// package.json `dependencies` must name exactly the packages the shipped bundles (dist/cdc.cjs,
// dist/agent.cjs) import; whatever only tests, the bench or the build use is a devDependency.
// The truth is esbuild's metafile of the very build native-free/build.mjs runs (same entries, same
// options), so a new import or a dropped one fails here instead of drifting in package.json.
import t from 'tap';
import { build, type Metafile } from 'esbuild';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLES, bundleOptions } from '../../native-free/bundles.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(repo, f), 'utf8')) as Record<string, unknown>;
const pkg = readJson('package.json') as { dependencies?: Record<string, string> };
const lock = readJson('package-lock.json') as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };

const NM = 'node_modules/';

/** "a/b/c" -> "a", "@s/a/b" -> "@s/a". */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** "…/node_modules/x/node_modules/@s/y/lib/i.js" -> "node_modules/x/node_modules/@s/y" (a lockfile key). */
function lockKey(input: string): string {
  const from = input.slice(input.indexOf(NM));
  const last = from.lastIndexOf(NM);
  return from.slice(0, last) + NM + packageName(from.slice(last + NM.length));
}

/** The metafile of one bundle, built in memory (write: false) with build.mjs's options. */
async function metafile(b: { entry: string; file: string }): Promise<Metafile> {
  const opts = bundleOptions(path.join(repo, b.entry), path.join(repo, 'dist', b.file));
  return (await build({ ...opts, absWorkingDir: repo, write: false, metafile: true })).metafile;
}

const metas = await Promise.all(BUNDLES.map(async (b) => ({ ...b, meta: await metafile(b) })));

t.test('dependencies = the packages our own code in the bundles imports', async (t) => {
  const imported = new Map<string, Set<string>>(); // package -> our files importing it
  for (const { meta } of metas) {
    for (const [file, input] of Object.entries(meta.inputs)) {
      if (file.includes(NM)) continue; // a package's own imports come with it
      for (const imp of input.imports) {
        const spec = imp.original ?? imp.path;
        // Relative and absolute paths are our own files; <runtime> is esbuild's helper code.
        if (/^[./<]/.test(spec) || isBuiltin(spec)) continue;
        const name = packageName(spec);
        imported.set(name, (imported.get(name) ?? new Set()).add(file));
      }
    }
  }
  t.ok(imported.size > 0, 'the metafile shows package imports at all');
  t.same([...imported.keys()].sort(), Object.keys(pkg.dependencies ?? {}).sort(),
    `bundled: ${[...imported].map(([p, files]) => `${p} (${[...files][0]!}${files.size > 1 ? ` +${files.size - 1}` : ''})`).join(', ')}`);
});

t.test('every bundled package is installed for production by the lockfile (not dev-only)', async (t) => {
  for (const { file, meta } of metas) {
    const keys = new Set(Object.keys(meta.inputs).filter((f) => f.includes(NM)).map(lockKey));
    t.ok(keys.size > 0, `${file} bundles packages`);
    const devOnly = [...keys].filter((k) => !lock.packages[k] || lock.packages[k].dev || lock.packages[k].devOptional);
    t.same(devOnly, [], `${file}: ${keys.size} packages bundled, none missing from package-lock.json or marked dev there`);
  }
});
