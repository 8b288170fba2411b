// cdh get ID [-o DIR]: the dump's zip downloaded (progress on stderr), every entry checked and
// extracted into DIR (default ./{name}); the zip itself is removed unless --keep-zip.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { dumpFiles } from '../../shared/spool/names.ts';
import { CdcError } from '../../shared/errors.ts';
import { listDumps, resolveId, type Dump } from '../catalog.ts';
import { download, extractAll, type Extracted } from '../extract.ts';
import { formatBytes } from '../format.ts';
import type { Context } from '../context.ts';

function progressBar(ctx: Context): (done: number, total: number) => void {
  if (!ctx.interactive || ctx.inv.values.quiet) return () => {};
  let last = 0;
  const started = Date.now();
  return (done, total) => {
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    const frac = total > 0 ? done / total : 1;
    const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
    const rate = done / Math.max(0.001, (now - started) / 1000);
    ctx.err(`\r[${bar}] ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(done)} of ${formatBytes(total)}, ${formatBytes(Math.round(rate))}/s `);
    if (done >= total) ctx.err('\n');
  };
}

export interface Fetched {
  readonly dump: Dump;
  readonly dir: string;
  readonly files: Extracted[];
  /** The extracted core, if the dump has one. */
  readonly core: string | undefined;
}

/** Downloads and extracts one dump; shared by get and gdb. */
export async function fetchDump(ctx: Context, defaultDir: (d: Dump) => string): Promise<Fetched> {
  const store = await ctx.store();
  const dump = resolveId(await listDumps(store), ctx.inv.id!, store.keyPrefix);
  const dir = path.resolve((ctx.inv.values.output as string | undefined) ?? defaultDir(dump));
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CdcError('CDC_CLI_LOCAL_FILE', `cannot make ${dir}: ${(e as Error).message}`);
  }
  const zip = path.join(dir, dumpFiles(dump.name).zip);
  await download(store, dump.key, zip, progressBar(ctx));
  const files = await extractAll(zip, dir);
  if (!ctx.inv.values['keep-zip']) await fsp.rm(zip, { force: true });
  return { dump, dir, files, core: files.find((f) => f.file.endsWith('.core'))?.file };
}

export async function get(ctx: Context): Promise<number> {
  const f = await fetchDump(ctx, (d) => d.name);
  for (const x of f.files) ctx.out(`${x.file}\n`);
  if (!ctx.inv.values.quiet) ctx.err(`${f.files.length} entries checked (CRC-32) and extracted into ${f.dir}\n`);
  return 0;
}
