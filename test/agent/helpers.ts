// Scratch host for agent tests: a HOST_DIR, a fake /proc/sys tree, and a fake composer bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from '../../src/shared/log.ts';

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

/** A logger whose lines tests can inspect. */
export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[]; events: () => string[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines, events: () => lines.map((l) => String(l.event)) };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
