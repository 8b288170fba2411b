// The installed launcher, run as the kernel runs it (empty environment, the core on stdin): it
// re-executes itself once, in the same process, with glibc's malloc tuned and V8's young generation
// small, and the bundle still gets every argument and every byte of stdin.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherScript, REEXEC_MARK } from '../../../src/agent/install/launcher.ts';
import { NODE } from '../../helpers/composer-install.ts';

// A probe in the bundle's place: it reports what the process it runs in was given.
const PROBE = `
const fs = require('node:fs');
const v8 = require('node:v8');
const input = fs.readFileSync(0);
const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
fs.writeFileSync(__dirname + '/report.json', JSON.stringify({
  pid: process.pid, argv: process.argv.slice(2), execArgv: process.execArgv,
  env: process.env, inputHex: require('node:crypto').createHash('sha256').update(input).digest('hex'),
  inputBytes: input.length, newSpaceBytes: newSpace && newSpace.space_size,
}));
`;

function install(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-launch-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.symlinkSync(NODE, path.join(dir, 'node'));
  fs.writeFileSync(path.join(dir, 'cdc.cjs'), PROBE);
  fs.writeFileSync(path.join(dir, 'cdc'), launcherScript(dir), { mode: 0o755 });
  return dir;
}

async function launch(dir: string, args: string[], input: Buffer, env: Record<string, string> = {}) {
  const child = spawn(path.join(dir, 'cdc'), args, { cwd: '/', env, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  return { code, stderr, pid: child.pid, report };
}

t.test('the bundle runs re-executed in the same process, with every argument and all of stdin', async (t) => {
  const dir = install(t);
  const input = randomBytes(3 * 1024 * 1024 + 17); // more than a pipe holds: read after the exec
  const args = ['-c=18446744073709551615', '-e=a b"c\'$(x)', '-p=42', '-E=!usr!bin!x y', '-e=cdcst-nope'];
  const { code, stderr, pid, report } = await launch(dir, args, input);
  t.equal(code, 0, stderr);
  t.equal(stderr, '', 'no warning on stderr');
  t.equal(report.pid, pid, 'same pid: the kernel waits on the process it started');
  t.same(report.argv, args);
  t.equal(report.inputBytes, input.length);
  t.equal(report.inputHex, createHash('sha256').update(input).digest('hex'));
  t.equal(report.env[REEXEC_MARK], '1');
  t.equal(report.env.MALLOC_MMAP_THRESHOLD_, '131072');
  t.equal(report.env.MALLOC_ARENA_MAX, '1');
  t.ok(report.execArgv.includes('--max-semi-space-size=1'), String(report.execArgv));
  t.ok(report.execArgv.includes('--max-opt=1'), 'V8 stays at its baseline compiler');
  t.ok(report.newSpaceBytes <= 2 * 1024 * 1024, `new space ${report.newSpaceBytes} bytes`);
});

t.test('malloc settings already in the environment are kept; a second launch does not exec again', async (t) => {
  const dir = install(t);
  const kept = await launch(dir, ['-p=1'], Buffer.from('x'), { MALLOC_ARENA_MAX: '4', PATH: '/usr/bin' });
  t.equal(kept.report.env.MALLOC_ARENA_MAX, '4');
  t.equal(kept.report.env.PATH, '/usr/bin', 'the kernel-given environment passes through');
  const once = await launch(dir, ['-p=1'], Buffer.from('x'), { [REEXEC_MARK]: '1' });
  t.equal(once.report.execArgv.length, 0, 'marked: loaded in place, not re-executed');
  t.equal(once.report.env.MALLOC_ARENA_MAX, undefined);
});
