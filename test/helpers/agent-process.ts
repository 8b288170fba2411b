// The agent as a real child process, with a scratch host: the TS entry (Node's type stripping) by
// default, or the built bundle (dist/agent.cjs) as the DaemonSet runs it. Its JSON log lines are
// collected as they come.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { ScratchHost } from './scratch-host.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const AGENT_SOURCE = path.join(ROOT, 'src/agent/main.ts');
export const AGENT_BUNDLE = path.join(process.env.CDC_TEST_DIST ?? path.join(ROOT, 'dist'), 'agent.cjs');

export interface AgentChild { proc: ChildProcess; lines: Record<string, any>[]; exited: Promise<number | null> }

export function startAgent(args: string[], h: ScratchHost, env: Record<string, string>, entry = AGENT_SOURCE): AgentChild {
  const proc = spawn(process.execPath, [entry, ...args], {
    env: {
      PATH: process.env.PATH, HOST_DIR: h.hostDir, CDC_PROC_SYS: h.procSys, COMPOSER_SOURCE_DIR: h.sourceDir,
      METRICS_PORT: '0', UPLOAD_MIN_FILE_AGE_MS: '0', INTERVAL: '0', ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, any>[] = [];
  let buf = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { lines.push(JSON.parse(line)); } catch { /* not ours */ }
    }
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, lines, exited };
}
