// COMP_RATE_LIMIT state on the host: concurrent composers of one container get exactly N full
// dumps; a symlink planted where the state lives is never followed.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/shared/config.ts';
import { stdoutLogger } from '../../src/shared/log.ts';
import { checkRate } from '../../src/composer/rate-limit.ts';
import type { CrashContext } from '../../src/composer/crash-context.ts';

const ctx = { args: { problems: [] }, proc: undefined, meta: { hostCrash: false, container: 'app', pod: { name: 'p', namespace: 'ns', uid: 'u', labels: {}, annotations: {} }, podLabelsKnown: true, containers: [], problems: [] } } as unknown as CrashContext;

t.test('ten concurrent crashes, limit 3: exactly three full dumps, all counted', async (t) => {
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-rate-'));
  const { config } = loadConfig({ HOST_DIR: hostDir, COMP_RATE_LIMIT: '3/1h' });
  const log = stdoutLogger('silent', 'test');
  const states = await Promise.all(Array.from({ length: 10 }, () => checkRate(ctx, config, log)));
  t.equal(states.filter((s) => s?.full).length, 3);
  const counts = await Promise.all(states.map((s) => s!.recordFingerprint('abc')));
  t.same([...counts].sort((a, b) => a! - b!), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const [file] = fs.readdirSync(path.join(hostDir, 'rate')).filter((f) => f.endsWith('.json'));
  const target = path.join(hostDir, 'victim');
  fs.writeFileSync(target, 'keep');
  fs.rmSync(path.join(hostDir, 'rate', file!));
  fs.symlinkSync(target, path.join(hostDir, 'rate', file!));
  const after = await checkRate(ctx, config, log);
  t.equal(after?.full, true, 'a planted link reads as no state');
  t.equal(fs.readFileSync(target, 'utf8'), 'keep', 'the link target is untouched');
  t.notOk(fs.lstatSync(path.join(hostDir, 'rate', file!)).isSymbolicLink(), 'the link was replaced, not followed');
});

t.test('COMP_RATE_LIMIT parsing', async (t) => {
  t.same(loadConfig({}).config.rateLimit, { count: 3, windowSec: 3600 }, 'default 3/1h');
  t.equal(loadConfig({ COMP_RATE_LIMIT: 'off' }).config.rateLimit, undefined);
  t.same(loadConfig({ COMP_RATE_LIMIT: '10/30m' }).config.rateLimit, { count: 10, windowSec: 1800 });
  const bad = loadConfig({ COMP_RATE_LIMIT: 'lots' });
  t.same(bad.config.rateLimit, { count: 3, windowSec: 3600 });
  t.equal(bad.warnings[0]?.code, 'CDC_CONFIG_INVALID');
});
