// Checks a zip with the real tools: Info-ZIP `unzip -t` for integrity, `unzip -Z1` for names,
// `unzip -p` to read an entry, gdb for a usable backtrace from the core.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function unzipTest(zipFile: string): string {
  return execFileSync('unzip', ['-t', zipFile], { encoding: 'utf8' });
}

export function zipNames(zipFile: string): string[] {
  return execFileSync('unzip', ['-Z1', zipFile], { encoding: 'utf8' }).trim().split('\n');
}

export function zipEntry(zipFile: string, name: string): Buffer {
  return execFileSync('unzip', ['-p', zipFile, name], { maxBuffer: 1 << 30 });
}

export function saveTemp(data: Buffer, name = 'dump.zip'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-zip-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

/** Extracts the core entry (".core" or ".core.zst") and returns gdb's backtrace against `program`. */
export function backtrace(zipFile: string, program: string): string {
  const names = zipNames(zipFile);
  const entry = names.find((n) => n.endsWith('.core') || n.endsWith('.core.zst'));
  if (!entry) throw new Error(`no core entry in ${names.join(', ')}`);
  const dir = path.dirname(zipFile);
  const coreFile = path.join(dir, 'extracted.core');
  let data = zipEntry(zipFile, entry);
  if (entry.endsWith('.zst')) data = execFileSync('zstd', ['-d', '-c'], { input: data, maxBuffer: 1 << 30 });
  fs.writeFileSync(coreFile, data);
  return execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', program, coreFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
