// cdh gdb ID [--exe PATH] [-o DIR] [-- GDB-ARGS]: get the dump, then run gdb on its core, with the
// executable given, or the crashed process's own path when that file exists here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CdcError } from '../../shared/errors.ts';
import { fetchDump } from './get.ts';
import type { Context } from '../context.ts';

async function exePath(ctx: Context, files: { file: string }[]): Promise<string | undefined> {
  const given = ctx.inv.values.exe as string | undefined;
  if (given) return given;
  const info = files.find((f) => f.file.endsWith('-dump-info.json'));
  if (!info) return undefined;
  const recorded = (JSON.parse(await fsp.readFile(info.file, 'utf8')) as { exe_path?: unknown }).exe_path;
  return typeof recorded === 'string' && fs.statSync(recorded, { throwIfNoEntry: false })?.isFile() ? recorded : undefined;
}

export async function gdb(ctx: Context): Promise<number> {
  // A fresh directory per run unless -o names one: extraction never overwrites files.
  const f = await fetchDump(ctx, (d) => fs.mkdtempSync(path.join(os.tmpdir(), `cdh-${d.uuid.slice(0, 8)}-`)));
  if (!f.core) throw new CdcError('CDC_ZIP_INVALID', `dump ${f.dump.name} holds no core`);
  const exe = await exePath(ctx, f.files);
  if (!ctx.inv.values.quiet) ctx.err(`core: ${f.core}${exe ? `\nexecutable: ${exe}` : '\nexecutable: not found here (give --exe PATH)'}\n`);
  const args = [...ctx.inv.passThrough, ...(exe ? [exe] : []), f.core];
  return await new Promise<number>((resolve, reject) => {
    const child = spawn('gdb', args, { stdio: 'inherit' });
    child.on('error', (e) => reject(new CdcError('CDC_CLI_LOCAL_FILE', `gdb: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (apt-get install gdb)' : e.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}
