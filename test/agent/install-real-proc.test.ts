// Install and uninstall against this machine's real /proc/sys, under the core_pattern lock, which
// also restores core_pattern and core_pipe_limit if anything below fails. suid_dumpable we restore.
import t from 'tap';
import fs from 'node:fs';
import { install, uninstall } from '../../src/agent/install/install.ts';
import { readCorePattern, withCorePattern } from '../helpers/core-pattern.ts';
import { memoryLogger, scratchHost } from './helpers.ts';

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
