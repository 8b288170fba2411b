// HOST_DIR laid out as the agent installs it (the host contract, native-free/README.md): the
// runtime, the bundle, the launcher and .env with CORE_DIR/EVENT_DIR in temp dirs, no S3.
import fs from 'node:fs';
import path from 'node:path';
import { formatEnvFile } from '../../src/shared/envfile.ts';
import { launcherScript } from '../../src/agent/install/launcher.ts';

export interface HostLayout { home: string; coreDir: string; eventDir: string }

export function layHostDir(root: string, from: { runtime: string; bundle: string }): HostLayout {
  const home = path.join(root, 'host');
  const coreDir = path.join(root, 'cores');
  const eventDir = path.join(root, 'events');
  for (const d of [home, coreDir, eventDir]) fs.mkdirSync(d);
  fs.copyFileSync(from.runtime, path.join(home, 'node'));
  fs.chmodSync(path.join(home, 'node'), 0o755);
  fs.copyFileSync(from.bundle, path.join(home, 'cdc.cjs'));
  fs.writeFileSync(path.join(home, 'cdc'), launcherScript(home), { mode: 0o755 });
  const env = { HOST_DIR: home, CORE_DIR: coreDir, EVENT_DIR: eventDir, COMP_IGNORE_CRIO: 'true', COMP_LOG_LEVEL: 'debug' };
  fs.writeFileSync(path.join(home, '.env'), formatEnvFile(env), { mode: 0o600 });
  return { home, coreDir, eventDir };
}

/** The composer's arguments as core_pattern passes them; %P a live host process: a host crash, no pod. */
export function kernelArgs(exe: string, hostPid = process.pid): string[] {
  const now = Math.floor(Date.now() / 1000);
  // %c "unlimited" as the kernel prints it.
  return ['-c=18446744073709551615', `-e=${exe}`, '-p=4242', '-s=11', `-t=${now}`, '-h=node-1', `-P=${hostPid}`];
}
