// Puts the built composer where the kernel can run it, the way the agent does on a node: a
// directory holding the Node runtime, dist/cdc.cjs, the agent's `cdc` launcher (shebang with the
// runtime's absolute path: the kernel gives no PATH) and a 0600 .env. HOST_DIR is that directory,
// so host state (the crash-loop rate limit's) is the install's own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatEnvFile } from '../../src/shared/envfile.ts';
import { launcherScript } from '../../src/agent/install/launcher.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** CDC_TEST_DIST runs the tests against another build (an older one, to see a fix's test fail). */
export const DIST = process.env.CDC_TEST_DIST ?? path.join(ROOT, 'dist');
export const BUNDLE = path.join(DIST, 'cdc.cjs');
export const NODE = fs.realpathSync(path.join(ROOT, 'node_modules/.bin/node'));

export interface InstalledComposer {
  dir: string;
  launcher: string;
  coreDir: string;
  eventDir: string;
  logFile: string;
  /** core_pattern naming this install; flags as the agent writes them. */
  pattern: string;
  log(): Array<Record<string, unknown>>;
  remove(): void;
}

export function installComposer(env: Record<string, string>): InstalledComposer {
  if (!fs.existsSync(BUNDLE)) throw new Error('dist/cdc.cjs missing: run `npm run build`');
  // Short path: core_pattern must stay under 127 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-'));
  const coreDir = path.join(dir, 'cores');
  const eventDir = path.join(dir, 'events');
  fs.mkdirSync(coreDir);
  fs.symlinkSync(NODE, path.join(dir, 'node'));
  fs.copyFileSync(BUNDLE, path.join(dir, 'cdc.cjs'));
  const launcher = path.join(dir, 'cdc');
  fs.writeFileSync(launcher, launcherScript(dir), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, '.env'), formatEnvFile({ HOST_DIR: dir, CORE_DIR: coreDir, EVENT_DIR: eventDir, COMP_LOG_LEVEL: 'info', ...env }), { mode: 0o600 });
  const logFile = path.join(dir, 'composer.log');
  return {
    dir, launcher, coreDir, eventDir, logFile,
    pattern: `|${launcher} -c=%c -e=%e -p=%p -s=%s -t=%t -h=%h -P=%P -E=%E -u=%u -g=%g -D=%d -F=%F`,
    log() {
      try {
        return fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return [];
      }
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
