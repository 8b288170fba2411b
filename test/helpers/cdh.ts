// Runs the built cdh (dist/cdh.cjs) as a user would, with an environment of the test's choosing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { NODE } from './composer-install.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const CDH = path.join(ROOT, 'dist/cdh.cjs');

export interface CdhRun { status: number | null; stdout: string; stderr: string; ms: number }

/** `env` replaces the environment (plus PATH and HOME), so the test's own S3 settings never leak in. */
export function runCdh(args: string[], env: Record<string, string>, opts: { path?: string } = {}): Promise<CdhRun> {
  if (!fs.existsSync(CDH)) throw new Error('dist/cdh.cjs missing: run `npm run build`');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CDH, ...args], {
      env: { PATH: opts.path ?? process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - started }));
  });
}

/** The JSON lines of a --json run. */
export const jsonLines = (r: CdhRun): Array<Record<string, any>> => r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Runs cdh expecting one failure line with `code` (and `detail`, when given); returns its output. */
export async function expectCdhError(
  t: Test, args: string[], env: Record<string, string>, code: string, detail?: RegExp, status = 1,
): Promise<CdhRun> {
  const r = await runCdh(args, env);
  t.equal(r.status, status, `${code}: exits ${status}`);
  t.match(r.stderr, new RegExp(`^cdh: .*\\(${code}\\)\\n$`), `${code}: ${r.stderr.trim()}`);
  if (detail) t.match(r.stderr, detail);
  return r;
}
