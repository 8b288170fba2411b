// Real cores from the kernel for tests that read cores directly: core_pattern (under
// withCorePattern) pipes each core to a tiny handler that writes it to a file named by the pid.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCorePattern } from './core-pattern.ts';
import { waitFor } from './wait-for.ts';

// The kernel runs the handler with no PATH: absolute paths only; the rename marks the core whole.
const HANDLER = '#!/bin/sh\n/bin/cat > "$1.tmp" && /bin/mv "$1.tmp" "$1"\n';

export interface KernelCore { core: string; signal: string | null }

export interface CoreCatcher {
  /** Runs `argv` (ulimit -c unlimited, optional wrapper such as qemu) and returns its core. */
  crash(argv: string[]): Promise<KernelCore>;
  readonly dir: string;
}

/** Runs fn with core_pattern set to write cores into a fresh directory. */
export async function withKernelCores<T>(fn: (c: CoreCatcher) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-cores-'));
  const handler = path.join(dir, 'save-core');
  fs.writeFileSync(handler, HANDLER, { mode: 0o755 });
  return withCorePattern(`|${handler} ${dir}/core.%P`, () => fn({
    dir,
    async crash(argv) {
      const r = spawnSync('bash', ['-c', 'ulimit -c unlimited; "$0" "$@" & echo $!; wait $!; echo $?', ...argv], { encoding: 'utf8' });
      const pid = r.stdout.trim().split('\n')[0]!;
      const core = path.join(dir, `core.${pid}`);
      await waitFor(`core of pid ${pid}`, () => fs.existsSync(core));
      const status = Number(r.stdout.trim().split('\n')[1] ?? r.status);
      const signal = Object.entries(os.constants.signals).find(([, n]) => n === status - 128)?.[0] ?? null;
      return { core, signal };
    },
  }));
}
