// The names of every zip entry, in one place, and whether the pod wants its crashes dumped at all.
// The names are the Rust original's, so existing tooling finds them: {name}.core, {name}-dump-info.json,
// {name}-pod-info.json, {name}-runtime-info.json, {name}-ps-info.json, and for each container N of
// the pod (oldest first) {name}-N.log and {name}-N-image-info.json; ours: {name}-proc-{file}, {name}-crash.json.
import type { CrashMetadata } from '../cri/index.ts';
import type { Codec } from '../shared/config.ts';
import type { ProcFacts } from './proc.ts';

export interface ZipEntry { name: string; data: Buffer }

/** A JSON document as the zip stores it: two-space indent, a final newline. */
export const jsonBytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8');

export function metadataEntries(name: string, meta: CrashMetadata | undefined): ZipEntry[] {
  if (!meta) return [];
  const out: ZipEntry[] = [];
  const doc = (suffix: string, v: unknown) => { if (v !== undefined) out.push({ name: `${name}${suffix}`, data: jsonBytes(v) }); };
  doc('-pod-info.json', meta.podStatus);
  doc('-runtime-info.json', meta.runtimeStatus);
  doc('-ps-info.json', meta.podContainers);
  meta.containers.forEach((c, n) => {
    if (c.log) out.push({ name: `${name}-${n}.log`, data: c.log });
    doc(`-${n}-image-info.json`, c.image);
  });
  return out;
}

/**
 * COMP_POD_SELECTOR_LABEL: a crash is skipped only when a selector is set, the pod was found, its
 * labels are known (PodSandboxStatus answered) and they lack the key. A lookup that could not
 * check keeps the dump: capture rather than lose.
 */
export function podSelected(meta: CrashMetadata | undefined, selectorLabel: string): boolean {
  if (!selectorLabel || !meta?.pod || !meta.podLabelsKnown) return true;
  return Object.hasOwn(meta.pod.labels, selectorLabel);
}

/** COMP_INCLUDE_PROC_INFO: {name}-proc-{file} for each /proc file read (auxv, maps, ...). */
export function procEntries(name: string, proc: ProcFacts | undefined): ZipEntry[] {
  return Object.entries(proc?.files ?? {}).map(([file, data]) => ({ name: `${name}-proc-${file}`, data }));
}

/** The core itself: {name}.core, or {name}.core.zst when it holds zstd frames. */
export function coreEntryName(name: string, codec: Codec): string {
  return codec === 'zstd' ? `${name}.core.zst` : `${name}.core`;
}

/**
 * {name}-crash.json (triage): after the core, since it is read from the core as it streams by, and
 * before dump-info, which stays the zip's last entry as in the original.
 */
export function crashJsonEntry(name: string, doc: unknown): ZipEntry {
  return { name: `${name}-crash.json`, data: jsonBytes(doc) };
}

/** {name}-dump-info.json, written after the core (it holds the core's size and CRC). */
export function dumpInfoEntry(name: string, dumpInfo: unknown): ZipEntry {
  return { name: `${name}-dump-info.json`, data: Buffer.from(JSON.stringify(dumpInfo, null, 2)) };
}
