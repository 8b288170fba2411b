// Real cores, dumped by the kernel: corefill fills N MiB of mixed memory and crashes; a tiny
// core_pattern handler writes the core to a file. Taken under the tests' core_pattern lock
// (withCorePattern), and cached in /tmp/cdc-bench/cores because a 4 GiB one takes a while.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withCorePattern } from '../../test/helpers/core-pattern.ts';
import { NODE } from '../../test/helpers/composer-install.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';
import { BIN, CORES } from './paths.ts';
import { codeFiles, type Tools } from './tools.ts';

/** mixed: the bench's usual core (compresses ~2.6:1); compressible: mostly zero pages (> 10:1). */
export type CoreClass = 'mixed' | 'compressible';
export const CORE_CLASSES: readonly CoreClass[] = ['mixed', 'compressible'];

export interface CoreFile { mib: number; coreClass: CoreClass; path: string; bytes: number }

// The kernel runs the handler with no PATH and no environment: absolute paths only. Writing to a
// temporary name and renaming marks the core complete.
const HANDLER = `#!/bin/sh
/bin/cat > "$1.tmp" && /bin/mv "$1.tmp" "$1"
`;

export function corePath(mib: number, coreClass: CoreClass = 'mixed'): string {
  return path.join(CORES, `core-${mib}m${coreClass === 'mixed' ? '' : '-z'}.core`);
}

export async function ensureCore(tools: Tools, mib: number, log: (s: string) => void, coreClass: CoreClass = 'mixed'): Promise<CoreFile> {
  const file = corePath(mib, coreClass);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CORES, { recursive: true });
    const handler = path.join(BIN, 'save-core');
    fs.writeFileSync(handler, HANDLER, { mode: 0o755 });
    log(`making a ${mib} MiB ${coreClass} core (kernel dump of corefill) -> ${file}`);
    const t0 = Date.now();
    await withCorePattern(`|${handler} ${file}`, async () => {
      const r = spawnSync(tools.corefill, [coreClass === 'mixed' ? 'fill' : 'zfill', String(mib), ...codeFiles(NODE)], { stdio: 'ignore' });
      if (r.signal !== 'SIGSEGV') throw new Error(`corefill ended with ${r.signal ?? r.status}, not SIGSEGV`);
      await waitFor(`core ${file}`, () => fs.existsSync(file), 10 * 60_000);
    });
    log(`  made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { mib, coreClass, path: file, bytes: fs.statSync(file).size };
}
