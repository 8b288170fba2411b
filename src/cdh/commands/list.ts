// cdh list: the dumps, newest first, as a table fitted to the terminal or as JSON lines for scripts.
import { listDumps, type Dump } from '../catalog.ts';
import { selection } from '../filters.ts';
import { formatBytes, formatTime, table, type Column } from '../format.ts';
import { signalName } from '../filters.ts';
import type { Context } from '../context.ts';

export const LIST_COLUMNS: Column<Dump>[] = [
  { header: 'ID', value: (d) => d.uuid.slice(0, 8), priority: 100 },
  { header: 'TIME', value: (d) => formatTime(d.time), priority: 90 },
  { header: 'SIGNAL', value: (d) => (d.state === 'uploading' ? 'uploading' : signalName(d.signal)), priority: 80 },
  { header: 'EXE', value: (d) => d.exe ?? '-', min: 8, priority: 70 },
  { header: 'NAMESPACE', value: (d) => d.namespace ?? '-', min: 9, priority: 60 },
  { header: 'POD', value: (d) => d.pod ?? (d.namespace === null && d.node !== null ? '(host)' : '-'), min: 10, priority: 65 },
  { header: 'CONTAINER', value: (d) => d.container ?? '-', min: 9, priority: 40 },
  { header: 'NODE', value: (d) => d.node ?? '-', min: 8, priority: 50 },
  { header: 'SIZE', value: (d) => formatBytes(d.zipBytes), priority: 45 },
  { header: 'IMAGE', value: (d) => d.image ?? '-', min: 12, priority: 10 },
  { header: 'FINGERPRINT', value: (d) => d.fingerprint?.slice(0, 12) ?? '-', priority: 5 },
];

/** The JSON form of a dump (list --json, one object per line; show --json's `dump`). */
export function dumpJson(d: Dump): Record<string, unknown> {
  return {
    id: d.uuid, key: d.key, name: d.name, state: d.state, time: new Date(d.time).toISOString(),
    node: d.node, namespace: d.namespace, pod: d.pod, container: d.container, image: d.image, exe: d.exe,
    signal: d.signal, signalName: d.signal === null ? null : signalName(d.signal), coreBytes: d.coreBytes, zipBytes: d.zipBytes,
    fingerprint: d.fingerprint ?? null,
  };
}

export async function selectedDumps(ctx: Context): Promise<Dump[]> {
  const sel = selection(ctx.inv.values, ctx.now());
  return (await listDumps(await ctx.store(), sel.window)).filter(sel.keep);
}

export async function list(ctx: Context): Promise<number> {
  const dumps = await selectedDumps(ctx);
  if (ctx.inv.values.json) {
    for (const d of dumps) ctx.out(JSON.stringify(dumpJson(d)) + '\n');
    return 0;
  }
  if (dumps.length === 0) {
    ctx.err('no dumps found\n');
    return 0;
  }
  ctx.out(table(dumps, LIST_COLUMNS.filter((c) => c.header !== 'FINGERPRINT' || dumps.some((d) => d.fingerprint)), ctx.width()));
  return 0;
}
