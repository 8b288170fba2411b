// cdh groups: dumps counted by crash fingerprint (first and last seen, pods, namespaces), most
// frequent first. Until crash triage fills `fingerprint`, dumps group by executable and signal.
import type { Dump } from '../catalog.ts';
import { signalName } from '../filters.ts';
import { formatTime, table, type Column } from '../format.ts';
import type { Context } from '../context.ts';
import { selectedDumps } from './list.ts';

export interface Group {
  readonly fingerprint: string | null;
  readonly exe: string | null;
  readonly signal: number | null;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly pods: string[];
  readonly namespaces: string[];
  readonly latest: string;
}

export function groupDumps(dumps: readonly Dump[]): Group[] {
  const groups = new Map<string, { g: Omit<Group, 'pods' | 'namespaces'>; pods: Set<string>; namespaces: Set<string> }>();
  for (const d of dumps) {
    if (d.state !== 'stored') continue;
    const id = d.fingerprint ? `f:${d.fingerprint}` : `e:${d.exe ?? ''}:${d.signal ?? ''}`;
    let e = groups.get(id);
    if (!e) {
      e = { g: { fingerprint: d.fingerprint ?? null, exe: d.exe, signal: d.signal, count: 0, firstSeen: d.time, lastSeen: d.time, latest: d.uuid }, pods: new Set(), namespaces: new Set() };
      groups.set(id, e);
    }
    const g = e.g;
    e.g = { ...g, count: g.count + 1, firstSeen: Math.min(g.firstSeen, d.time), lastSeen: Math.max(g.lastSeen, d.time), latest: d.time >= g.lastSeen ? d.uuid : g.latest };
    if (d.pod) e.pods.add(d.namespace ? `${d.namespace}/${d.pod}` : d.pod);
    if (d.namespace) e.namespaces.add(d.namespace);
  }
  return [...groups.values()]
    .map(({ g, pods, namespaces }) => ({ ...g, pods: [...pods].sort(), namespaces: [...namespaces].sort() }))
    .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
}

const COLUMNS: Column<Group>[] = [
  { header: 'FINGERPRINT', value: (g) => g.fingerprint?.slice(0, 16) ?? '(none)', priority: 100 },
  { header: 'COUNT', value: (g) => String(g.count), priority: 95 },
  { header: 'EXE', value: (g) => g.exe ?? '-', min: 8, priority: 90 },
  { header: 'SIGNAL', value: (g) => signalName(g.signal), priority: 85 },
  { header: 'FIRST SEEN', value: (g) => formatTime(g.firstSeen), priority: 60 },
  { header: 'LAST SEEN', value: (g) => formatTime(g.lastSeen), priority: 80 },
  { header: 'PODS', value: (g) => String(g.pods.length), priority: 70 },
  { header: 'NAMESPACES', value: (g) => g.namespaces.join(',') || '-', min: 10, priority: 50 },
  { header: 'LATEST', value: (g) => g.latest.slice(0, 8), priority: 40 },
];

export async function groups(ctx: Context): Promise<number> {
  const all = groupDumps(await selectedDumps(ctx));
  if (ctx.inv.values.json) {
    for (const g of all) ctx.out(JSON.stringify({ ...g, firstSeen: new Date(g.firstSeen).toISOString(), lastSeen: new Date(g.lastSeen).toISOString() }) + '\n');
    return 0;
  }
  if (all.length === 0) ctx.err('no dumps found\n');
  else ctx.out(table(all, COLUMNS, ctx.width()));
  return 0;
}
