// The bench's two small C helpers (bench/native), built with gcc into /tmp/cdc-bench/bin when
// missing or older than their source, and the external tools the baselines need.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT } from './paths.ts';

function build(name: string): string {
  const src = path.join(ROOT, 'bench/native', `${name}.c`);
  const out = path.join(BIN, name);
  fs.mkdirSync(BIN, { recursive: true });
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('gcc', ['-O2', '-Wall', '-o', `${out}.tmp`, src]);
    fs.renameSync(`${out}.tmp`, out);
  }
  return out;
}

export interface Tools { measure: string; corefill: string }

export function prepareTools(): Tools {
  const missing = ['gcc', 'gzip', 'pigz', 'zstd', 'rclone'].filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`missing tools: ${missing.join(' ')} (apt-get install gcc gzip pigz zstd rclone)`);
  return { measure: build('measure'), corefill: build('corefill') };
}

/** Files whose bytes stand in for code in the made cores: the node binary and a few libraries. */
export function codeFiles(nodeBinary: string): string[] {
  const libs = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libcrypto.so.3'];
  return [nodeBinary, ...libs.filter((f) => fs.existsSync(f))];
}
