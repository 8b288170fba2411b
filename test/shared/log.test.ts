import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileLogger, rotateIfLarge } from '../../src/shared/log.ts';

t.test('the composer log rotates once past its cap and never holds secrets', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'composer.log');
  fs.writeFileSync(file, 'x'.repeat(2048));
  rotateIfLarge(file, 1024);
  t.equal(fs.statSync(`${file}.1`).size, 2048, 'old log kept as .1');
  t.notOk(fs.existsSync(file));
  const log = fileLogger(file, 'info', 1024);
  log.info({ event: 'ConfigLoaded', config: { s3: { secretAccessKey: 'hunter2' } }, S3_SECRET: 'hunter3' }, 'config');
  const text = fs.readFileSync(file, 'utf8');
  t.match(text, /ConfigLoaded/);
  t.notMatch(text, /hunter2|hunter3/);
  t.equal(fs.statSync(file).mode & 0o077, 0, 'log is private');
  rotateIfLarge(path.join(dir, 'missing.log'), 1); // no file: no throw
});

t.test('a symlink planted at the log path is not followed', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'precious\n');
  fs.symlinkSync(victim, path.join(dir, 'composer.log'));
  const log = fileLogger(path.join(dir, 'composer.log'), 'info', 1 << 20);
  log.info({ event: 'CrashReceived' }, 'crash received');
  t.equal(fs.readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched');
});
