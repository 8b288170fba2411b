// Scratch host for agent tests: a HOST_DIR, a scratch /proc/sys tree, and a fake composer bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ScratchHost {
  root: string;
  hostDir: string;
  coreDir: string;
  eventDir: string;
  procSys: string;
  sourceDir: string;
  read(name: string): string;
  cleanup(): void;
}

/** The fake composer records its argv in HOST_DIR/ran.json, proving the launcher runs it. */
export const FAKE_COMPOSER = `require('fs').writeFileSync(require('path').join(__dirname, 'ran.json'), JSON.stringify(process.argv.slice(2)));\n`;

export function scratchHost(prefix = 'cdc-agent-'): ScratchHost {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const hostDir = path.join(root, 'host');
  const procSys = path.join(root, 'proc-sys');
  const sourceDir = path.join(root, 'dist');
  fs.mkdirSync(path.join(procSys, 'kernel'), { recursive: true });
  fs.mkdirSync(path.join(procSys, 'fs'), { recursive: true });
  fs.writeFileSync(path.join(procSys, 'kernel/core_pattern'), 'core\n');
  fs.writeFileSync(path.join(procSys, 'kernel/core_pipe_limit'), '0\n');
  fs.writeFileSync(path.join(procSys, 'fs/suid_dumpable'), '0\n');
  fs.mkdirSync(sourceDir);
  fs.writeFileSync(path.join(sourceDir, 'cdc.cjs'), FAKE_COMPOSER);
  return {
    root, hostDir, procSys, sourceDir,
    coreDir: path.join(hostDir, 'cores'),
    eventDir: path.join(hostDir, 'events'),
    read: (name) => fs.readFileSync(path.join(procSys, name), 'utf8').replace(/\n$/, ''),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
