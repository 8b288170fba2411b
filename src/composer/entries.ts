// The names of the zip's entries, all in one place: the Rust original's names, so tooling that
// opens its zips keeps working ({name}.core, -dump-info.json, -pod-info.json, -N.log, ...).
import type { Codec } from '../shared/config.ts';
import type { CrashContext } from './crash-context.ts';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** The entries that come before the core: the runtime's documents, the logs, the /proc files. */
export function metadataEntries(ctx: CrashContext): ZipEntry[] {
  const { name, meta, proc } = ctx;
  const out: ZipEntry[] = [];
  for (const e of meta?.entries ?? []) out.push({ name: `${name}${e.suffix}`, data: e.data });
  for (const [file, data] of Object.entries(proc?.files ?? {})) out.push({ name: `${name}-proc-${file}`, data });
  return out;
}

export function coreEntryName(name: string, codec: Codec): string {
  return codec === 'zstd' ? `${name}.core.zst` : `${name}.core`;
}

export function dumpInfoEntry(name: string, dumpInfo: unknown): ZipEntry {
  return { name: `${name}-dump-info.json`, data: Buffer.from(JSON.stringify(dumpInfo, null, 2)) };
}
