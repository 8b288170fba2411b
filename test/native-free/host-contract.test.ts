// The host contract (native-free/README.md), tested the way the kernel runs the composer: from a
// directory holding only the runtime, the bundle, the launcher and .env; empty environment (no
// PATH), cwd "/", stdout/stderr on /dev/null, the core on stdin. With no S3 configured the dump
// must land as a complete zip in CORE_DIR.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelArgs, layHostDir } from '../helpers/host-layout.ts';
import { spoolListing } from '../helpers/spool-listing.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = path.join(repo, 'dist/cdc.cjs');
const runtime = fs.realpathSync(path.join(repo, 'node_modules/.bin/node'));

t.test('bundles load nothing native and nothing from node_modules', async (t) => {
  for (const f of ['dist/cdc.cjs', 'dist/agent.cjs']) {
    const src = fs.readFileSync(path.join(repo, f), 'utf8');
    t.notMatch(src, /require\(\s*["'`][^"'`]*\.node["'`]\s*\)/, `${f}: no require of a .node addon`);
    t.notMatch(src, /node-gyp-build|require\(["']bindings["']\)/, `${f}: no addon loader`);
  }
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Runs the launcher like the kernel: `env -i` empties the environment (tap adds NODE_OPTIONS). */
function crash(home: string, args: string[], core: Buffer): Promise<number | null> {
  const child = spawn('/usr/bin/env', ['-i', path.join(home, 'cdc'), ...args], { cwd: '/', stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end(core);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

function zipEntries(zip: string): { name: string; size: number }[] {
  const r = spawnSync('unzip', ['-Z', '-l', zip], { encoding: 'utf8' });
  // zipinfo -l lines: perms ver os size type csize method date time name
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 10 && /^\d+$/.test(p[3] ?? ''))
    .map((p) => ({ name: p.slice(9).join(' '), size: Number(p[3]) }));
}

for (const [label, extra] of [['seed-compatible args', []], ['full core_pattern args', ['-u=0', '-g=0', '-D=1', '-F=3']]] as const) {
  t.test(`kernel-style run (${label}) stores a complete zip in CORE_DIR`, async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-host-'));
    t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
    const { home, coreDir, eventDir } = layHostDir(root, { runtime, bundle });
    const core = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(1 << 20)]); // incompressible + zeros
    const code = await crash(home, [...kernelArgs('segfaulter'), ...extra], core);
    const log = fs.existsSync(path.join(home, 'composer.log')) ? fs.readFileSync(path.join(home, 'composer.log'), 'utf8') : '(no composer.log)';
    t.equal(code, 0, 'exit code 0');
    if (code !== 0) t.comment(`composer.log:\n${log.slice(-3000)}`);

    const files = spoolListing(coreDir);
    const zips = files.filter((f) => f.endsWith('.zip'));
    t.equal(zips.length, 1, `one zip in CORE_DIR: ${files}`);
    t.same(files.filter((f) => f.endsWith('.part')), [], 'no partial files left');
    const zip = path.join(coreDir, zips[0] ?? 'none');
    t.match(zips[0], /-dump-\d+-node-1-segfaulter-4242-11\.zip$/, 'default filename template');
    const test = spawnSync('unzip', ['-tq', zip], { encoding: 'utf8' });
    t.equal(test.status, 0, `unzip -t: ${test.stdout}${test.stderr}`);
    const entries = zipEntries(zip);
    const coreEntry = entries.find((e) => e.size === core.length);
    t.ok(coreEntry, `a core-sized entry among ${JSON.stringify(entries)}`);
    if (coreEntry) {
      const body = spawnSync('unzip', ['-p', zip, coreEntry.name], { maxBuffer: 64 << 20 });
      t.equal(sha(body.stdout), sha(core), 'core bytes intact');
    }
    t.ok(entries.some((e) => /dump-info\.json$/.test(e.name)), 'dump-info JSON entry');
    t.same(fs.readdirSync(home).sort(), ['.budget', '.cache', '.env', 'cdc', 'cdc.cjs', 'composer.log', 'node'], 'HOST_DIR holds only the contract files (and the compile cache)');
      t.same(fs.readdirSync(path.join(home, '.budget')), [], 'the composer\'s lease ended with it');
    t.ok(fs.readdirSync(eventDir).some((f) => f.endsWith('.cdc.json')), 'crash record for the agent in EVENT_DIR');
  });
}
