// A description of the machine the numbers came from, for RESULTS.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface Machine { lines: string[] }

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? '').split('\n')[0]!.trim() || 'unknown';
  }
}

export function loadAvg(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function describeMachine(nodeBinary: string): Machine {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    lines: [
      `CPU: ${cpu}, ${os.availableParallelism()} cores`,
      `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
      `kernel: ${os.release()}; core_pipe_limit ${fs.readFileSync('/proc/sys/kernel/core_pipe_limit', 'utf8').trim()}`,
      `node (composer runtime): ${version(nodeBinary, ['--version'])}`,
      `tools: ${version('gzip', ['--version'])}; pigz ${version('pigz', ['--version']).replace(/^pigz\s*/, '')}; ${version('zstd', ['--version'])}; ${version('rclone', ['version'])}`,
    ],
  };
}
