// Install and uninstall against this machine's real /proc/sys, under the core_pattern lock, which
// also restores core_pattern and core_pipe_limit if anything below fails. suid_dumpable we restore.
import t from 'tap';
import fs from 'node:fs';
import { install, uninstall } from '../../../src/agent/install/install.ts';
import { readCorePattern, withCorePattern } from '../../helpers/core-pattern.ts';
import { memoryLogger } from '../../helpers/memory-logger.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const SUID = '/proc/sys/fs/suid_dumpable';
const LIMIT = '/proc/sys/kernel/core_pipe_limit';

t.test('install then uninstall on the real /proc/sys restores every value', async (t) => {
  const h = scratchHost('cdc-real-');
  t.teardown(h.cleanup);
  const oldSuid = fs.readFileSync(SUID, 'utf8').trim();
  t.teardown(() => fs.writeFileSync(SUID, oldSuid));
  const before = readCorePattern();
  await withCorePattern(before, async () => {
    const oldLimit = fs.readFileSync(LIMIT, 'utf8').trim();
    const wantSuid = oldSuid === '2' ? 1 : 2;
    const { log } = memoryLogger();
    const r = await install({
      hostDir: h.hostDir, coreDir: h.coreDir, eventDir: h.eventDir, procSys: '/proc/sys', sourceDir: h.sourceDir,
      nodeBinary: process.execPath, env: {}, suidDumpable: wantSuid, corePipeLimit: 3, log,
    });
    t.equal(readCorePattern(), r.pattern, 'the kernel holds our pattern, uncut');
    t.equal(fs.readFileSync(LIMIT, 'utf8').trim(), '3');
    t.equal(fs.readFileSync(SUID, 'utf8').trim(), String(wantSuid));
    await uninstall({ hostDir: h.hostDir, procSys: '/proc/sys', log });
    t.equal(readCorePattern(), before);
    t.equal(fs.readFileSync(LIMIT, 'utf8').trim(), oldLimit);
    t.equal(fs.readFileSync(SUID, 'utf8').trim(), oldSuid);
    await uninstall({ hostDir: h.hostDir, procSys: '/proc/sys', log });
    t.equal(readCorePattern(), before, 'idempotent');
  });
});

t.test('the kernel runs the installed launcher (absolute runtime path, empty environment)', async (t) => {
  const h = scratchHost('cdc-real-');
  t.teardown(h.cleanup);
  const oldSuid = fs.readFileSync(SUID, 'utf8').trim();
  t.teardown(() => fs.writeFileSync(SUID, oldSuid));
  const { spawnSync } = await import('node:child_process');
  await withCorePattern(readCorePattern(), async () => {
    const { log } = memoryLogger();
    await install({
      hostDir: h.hostDir, coreDir: h.coreDir, eventDir: h.eventDir, procSys: '/proc/sys', sourceDir: h.sourceDir,
      nodeBinary: process.execPath, env: {}, suidDumpable: 2, corePipeLimit: 0, log,
    });
    try {
      const r = spawnSync('sh', ['-c', 'ulimit -c unlimited; kill -SEGV $$']);
      t.equal(r.signal, 'SIGSEGV');
      // The fake composer (test/helpers/scratch-host.ts) records the argv the kernel gave it.
      await waitFor('the composer ran', () => fs.existsSync(`${h.hostDir}/ran.json`), 20_000);
      const argv = JSON.parse(fs.readFileSync(`${h.hostDir}/ran.json`, 'utf8')) as string[];
      t.ok(argv.includes('-e=sh'), `argv: ${argv.join(' ')}`);
      t.ok(argv.some((a) => /^-P=\d+$/.test(a)));
    } finally {
      await uninstall({ hostDir: h.hostDir, procSys: '/proc/sys', log });
    }
  });
});
