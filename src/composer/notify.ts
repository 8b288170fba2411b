// Files the composer leaves for others: the record that tells the agent a dump was stored (so it
// can post a Kubernetes Event), and the seed-compatible core event file for external consumers.
// Both are written to a temp name and renamed, so a reader never sees half a file.
import fs from 'node:fs';
import path from 'node:path';
import { ensureDirSync } from '../shared/ensure-dir.ts';
import type { SinkResult } from './sinks/index.ts';
import type { CrashMetadata } from '../cri/index.ts';
import type { KernelArgs } from './args.ts';

function writeAtomic(file: string, data: string): void {
  ensureDirSync(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function writeAgentRecord(eventDir: string, name: string, result: SinkResult, meta: CrashMetadata | undefined, args: KernelArgs): string {
  const file = path.join(eventDir, `${name}.cdc.json`);
  const record = {
    version: 1,
    name,
    zip: `${name}.zip`,
    storage: result.kind,
    bucket: result.kind === 'spool' ? null : result.bucket,
    key: result.kind === 'spool' ? null : result.key,
    pod: meta?.pod ? { name: meta.pod.name, namespace: meta.pod.namespace, uid: meta.pod.uid } : null,
    container: meta?.container ?? null,
    exe: args.exeName ?? null,
    signal: args.signal ?? null,
    pid: args.pid ?? null,
    timestamp: args.timestamp ?? null,
  };
  writeAtomic(file, JSON.stringify(record) + '\n');
  return file;
}

/** Seed-compatible `{uuid}-event.json` (COMP_CORE_EVENTS=true). */
export function writeCoreEvent(dir: string, uuid: string, zipName: string, meta: CrashMetadata | undefined, args: KernelArgs): string {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta?.pod?.labels ?? {})) if (k.startsWith('info.coredump')) labels[k] = v;
  const event = {
    image_list: meta?.imageRef ? [meta.imageRef] : [],
    key: zipName,
    exe_path: args.pathname ?? '',
    labels,
    limit_size: args.rlimitCoreRaw ?? '',
    exe_name: args.exeName ?? '',
    pid: args.pid === undefined ? '' : String(args.pid),
    signal: args.signal === undefined ? '' : String(args.signal),
    timestamp: args.timestamp === undefined ? '' : String(args.timestamp),
    hostname: args.hostname ?? '',
    namespace: meta?.pod?.namespace ?? null,
    podname: meta?.pod?.name ?? null,
    uuid,
  };
  const file = path.join(dir, `${uuid}-event.json`);
  writeAtomic(file, JSON.stringify(event) + '\n');
  return file;
}
