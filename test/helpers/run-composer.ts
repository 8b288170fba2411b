// Runs an installed composer as the kernel does: empty environment, cwd "/", stdout and stderr on
// /dev/null, the core on stdin (a file, a buffer, or a generator of chunks).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface RunResult {
  code: number | null;
  /** From spawn to the composer's exit. */
  ms: number;
}

export type CoreInput = Buffer | string /* file path */ | AsyncIterable<Buffer>;

export async function runComposer(launcher: string, args: string[], input: CoreInput, extraEnv: Record<string, string> = {}): Promise<RunResult> {
  const t0 = performance.now();
  const child = spawn(launcher, args, { cwd: '/', env: extraEnv, stdio: ['pipe', 'ignore', 'ignore'] });
  const source = Buffer.isBuffer(input) ? Readable.from([input]) : typeof input === 'string' ? fs.createReadStream(input) : Readable.from(input);
  let exitMs = 0;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exitMs = performance.now() - t0;
    resolve(code);
  }));
  // The composer may close stdin early (RLIMIT_CORE, skip, timeout): that is not a test failure.
  const fed = pipeline(source, child.stdin).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
  const code = await exited;
  child.stdin.destroy();
  await Promise.race([fed, new Promise((r) => setTimeout(r, 100))]);
  return { code, ms: exitMs };
}

/** Mixed, core-like data: runs of zeros, text-like records, and incompressible noise. */
export async function* mixedData(totalBytes: number, chunk = 1 << 20): AsyncGenerator<Buffer> {
  const noise = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) noise[i] = (i * 2654435761) >>> 24;
  const text = Buffer.alloc(chunk, 'frame=0x00007f3a2c1d4e10 sym=libc.so.6!__GI_raise+0x12a heap=0x5581c000 ');
  const zero = Buffer.alloc(chunk);
  let sent = 0;
  let i = 0;
  while (sent < totalBytes) {
    const pick = [zero, text, noise, text][i++ % 4]!;
    const n = Math.min(chunk, totalBytes - sent);
    yield n === chunk ? pick : pick.subarray(0, n);
    sent += n;
  }
}
