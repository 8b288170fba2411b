// cdh show ID: one dump in full: its summary, dump-info, the crash triage entry ({name}-crash.json,
// when the composer wrote one) and the last lines of each container log, read from the stored zip
// with ranged reads (the core is never downloaded).
import { entryEnding, storeZipSource } from '../../shared/store-zip.ts';
import { readEntries, readEntry } from '../../shared/zip-read.ts';
import { listDumps, resolveId } from '../catalog.ts';
import { signalName } from '../filters.ts';
import { formatBytes, formatTime } from '../format.ts';
import type { Context } from '../context.ts';
import { dumpJson } from './list.ts';

const LOG_LINES = 10;
const FRAMES = 10;

type Doc = Record<string, unknown>;

function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-n);
}

/**
 * The crash as triage saw it ({name}-crash.json): what and where at a glance — the summary, the
 * signal and its code, the fault address, the top frames as module+offset (and function), the
 * fingerprint. Registers and the module list stay in the file (`cdh get`, or `show --json`).
 */
function crashLines(crash: Doc): string[] {
  const sig = (crash.signal ?? {}) as Doc;
  const frames = Array.isArray(crash.frames) ? (crash.frames as Doc[]) : [];
  const out = [
    `  summary: ${String(crash.summary ?? '-')}`,
    `  signal: ${String(sig.name ?? '-')}${sig.code_name ? ` (${String(sig.code_name)})` : ''}${sig.fault_address ? ` at ${String(sig.fault_address)}` : ''}`,
    `  fingerprint: ${String(crash.fingerprint ?? '-')}`,
    `  threads: ${String(crash.thread_count ?? '-')}${crash.frame_pointers === false ? '  (no frame pointers: the PC alone)' : ''}`,
    '  frames:',
  ];
  for (const f of frames.slice(0, FRAMES)) {
    const where = f.module ? `${String(f.module).split('/').pop()}+${String(f.offset)}` : String(f.pc);
    out.push(`    #${String(f.index)} ${where}${f.function ? `  ${String(f.function)}` : ''}`);
  }
  if (frames.length > FRAMES) out.push(`    ... ${frames.length - FRAMES} more`);
  return out;
}

export async function show(ctx: Context): Promise<number> {
  const store = await ctx.store();
  const d = resolveId(await listDumps(store), ctx.inv.id!, store.keyPrefix);
  const src = await storeZipSource(store.objects, d.key, d.zipBytes ?? undefined);
  const entries = await readEntries(src);
  const json = async (suffix: string): Promise<Doc | null> => {
    const e = entryEnding(entries, suffix);
    return e ? (JSON.parse((await readEntry(src, e)).toString('utf8')) as Doc) : null;
  };
  const info = await json('-dump-info.json');
  const crash = await json('-crash.json');
  const logs: Array<{ entry: string; lines: string[] }> = [];
  for (const e of entries.filter((x) => /-\d+\.log$/.test(x.name))) {
    logs.push({ entry: e.name, lines: lastLines((await readEntry(src, e)).toString('utf8'), LOG_LINES) });
  }
  if (ctx.inv.values.json) {
    ctx.out(JSON.stringify({ dump: dumpJson(d), dumpInfo: info, crash, logs, entries: entries.map((e) => ({ name: e.name, size: e.size })) }, null, 2) + '\n');
    return 0;
  }
  const field = (label: string, v: unknown) => `${label.padStart(12)}: ${v === null || v === undefined || v === '' ? '-' : String(v)}`;
  const lines = [
    field('ID', d.uuid), field('key', store.objects.url(d.key)), field('time', formatTime(d.time)),
    field('signal', `${signalName(d.signal)} (${d.signal ?? '-'})`), field('exe', info?.exe_path ?? d.exe),
    field('cmdline', Array.isArray(info?.cmdline) ? (info.cmdline as unknown[]).join(' ') : info?.cmdline),
    field('pid', info?.real_pid), field('node', d.node), field('namespace', d.namespace), field('pod', d.pod),
    field('container', d.container), field('image', d.image), field('core', `${formatBytes(d.coreBytes)}${info?.core_truncated ? ' (truncated by RLIMIT_CORE)' : ''}`),
    field('zip', formatBytes(d.zipBytes)), field('fingerprint', d.fingerprint),
  ];
  const problems = Array.isArray(info?.problems) ? (info.problems as unknown[]) : [];
  if (problems.length) lines.push(field('problems', problems[0]), ...problems.slice(1).map((p) => `${' '.repeat(14)}${String(p)}`));
  lines.push('', crash ? 'crash:' : 'crash: no triage entry in this dump (signal and exe above are from dump-info)');
  if (crash) lines.push(...crashLines(crash));
  for (const l of logs) lines.push('', `log ${l.entry} (last ${l.lines.length} lines):`, ...l.lines.map((s) => `  ${s}`));
  if (logs.length === 0) lines.push('', 'log: none in this dump (a host crash, or the runtime gave none)');
  ctx.out(lines.join('\n') + '\n');
  return 0;
}
