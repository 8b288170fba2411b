// Real tools for zip tests: Info-ZIP unzip, Python's zipfile and zstd, no mocks.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { ZipWriter } from '../../../src/composer/zip/index.ts';

const run = promisify(execFile);

export async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cdc-zip-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts writing the writer's output to `path`; await the result after finish(). */
export function saveTo(w: ZipWriter, path: string): Promise<void> {
  return pipeline(w.output, createWriteStream(path));
}

export async function unzipTest(path: string): Promise<string> {
  const { stdout } = await run('/usr/bin/unzip', ['-t', path], { maxBuffer: 1 << 24 });
  return stdout;
}

/**
 * Python's zipfile: testzip() reads and CRC-checks every entry (or, with `only`, reads just that
 * entry). Returns the first bad name and [name, size] pairs from the central directory.
 */
export async function pythonCheck(path: string, only?: string): Promise<{ bad: string | null; entries: [string, number][] }> {
  const code = 'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\n' +
    'bad=z.testzip() if len(sys.argv)<3 else (z.read(sys.argv[2]) and None)\n' +
    'print(json.dumps({"bad":bad,"entries":[[i.filename,i.file_size] for i in z.infolist()]}))';
  const { stdout } = await run('python3', ['-c', code, path, ...(only ? [only] : [])], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as { bad: string | null; entries: [string, number][] };
}

/** sha256 and byte count of `unzip -p path name`, optionally piped through `zstd -d`. */
export async function extractedHash(path: string, name: string, zstd = false): Promise<{ sha256: string; bytes: number }> {
  const unzip = spawn('/usr/bin/unzip', ['-p', path, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let source: Readable = unzip.stdout;
  const procs: ChildProcess[] = [unzip];
  if (zstd) {
    const dec = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    unzip.stdout.pipe(dec.stdin);
    source = dec.stdout;
    procs.push(dec);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of source) { hash.update(c as Buffer); bytes += (c as Buffer).length; }
  await Promise.all(procs.map((p) => new Promise<void>((resolve, reject) => {
    if (p.exitCode !== null) return p.exitCode === 0 ? resolve() : reject(new Error(`${p.spawnfile} exited ${p.exitCode}`));
    p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${p.spawnfile} exited ${code}`))));
  })));
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256(...bufs: Buffer[]): string {
  const h = createHash('sha256');
  for (const b of bufs) h.update(b);
  return h.digest('hex');
}

/** A deterministic, core-like mix: zero pages, text, pseudo-random bytes, pointer-ish words. */
export function mixedData(bytes: number, seed = 1): Buffer {
  const b = Buffer.alloc(bytes);
  let s = seed >>> 0;
  const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  const words = Buffer.from('heap stack frame thread mutex libc.so.6 GET /api 200 {"k":1} 0x7ffd\n');
  for (let off = 0; off < bytes; off += 4096) {
    const end = Math.min(bytes, off + 4096);
    const kind = next() % 4;
    if (kind === 0) continue; // zero page
    for (let i = off; i < end; i++) {
      if (kind === 1) b[i] = words[(i + (next() % 7 === 0 ? next() : 0)) % words.length]!;
      else if (kind === 2) b[i] = next() >>> 24;
      else b[i] = i % 8 < 5 ? (next() >>> 28) : 0x7f;
    }
  }
  return b;
}

/** A readable of `data` in `chunk`-sized pieces, like a pipe would give. */
export function chunked(data: Buffer, chunk = 64 * 1024): Readable {
  let pos = 0;
  return new Readable({
    read() {
      if (pos >= data.length) { this.push(null); return; }
      this.push(data.subarray(pos, pos + chunk));
      pos += chunk;
    },
  });
}
