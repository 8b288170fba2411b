// The list filters (--namespace --pod --container --image --node --signal --fingerprint --since
// --until) and the values they take: a glob for names, a number or name for signals, an ISO time
// or an age for times.
import os from 'node:os';
import { CdcError } from '../shared/errors.ts';
import type { Dump, TimeWindow } from './catalog.ts';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** "30d", "2h", "90s", "1w": milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!m) throw new CdcError('CDC_CLI_USAGE', `--${flag} "${text}": give an age such as 90s, 30m, 2h, 7d or 1w`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** An ISO time ("2026-05-01", "2026-05-01T12:00:00Z") or an age before `now` ("2h"). */
export function parseTime(text: string, flag: string, now: number): number {
  if (/^\d+(?:\.\d+)?[smhdw]$/.test(text.trim())) return now - parseDuration(text, flag);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CdcError('CDC_CLI_USAGE', `--${flag} "${text}": give an ISO time (2026-05-01T12:00:00Z) or an age (2h, 7d)`);
  return t;
}

/** 11, "SEGV" or "SIGSEGV" -> 11. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const name = text.toUpperCase().replace(/^(SIG)?/, 'SIG') as keyof typeof os.constants.signals;
  const n = os.constants.signals[name];
  if (n === undefined) throw new CdcError('CDC_CLI_USAGE', `--signal "${text}": not a signal number or name`);
  return n;
}

export function signalName(n: number | null): string {
  if (n === null) return '-';
  const hit = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return hit ? hit[0] : String(n);
}

function glob(pattern: string): (v: string | null | undefined) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (v) => v !== null && v !== undefined && re.test(v);
}

export interface Selection {
  readonly window: TimeWindow;
  readonly keep: (d: Dump) => boolean;
}

type Values = Partial<Record<string, string | boolean>>;

export function selection(values: Values, now = Date.now()): Selection {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const tests: Array<(d: Dump) => boolean> = [];
  for (const field of ['namespace', 'pod', 'container', 'image', 'node', 'fingerprint'] as const) {
    const p = str(field);
    if (p !== undefined) { const m = glob(p); tests.push((d) => m(d[field])); }
  }
  const sig = str('signal');
  if (sig !== undefined) { const n = parseSignal(sig); tests.push((d) => d.signal === n); }
  const since = str('since') === undefined ? undefined : parseTime(str('since')!, 'since', now);
  const until = str('until') === undefined ? undefined : parseTime(str('until')!, 'until', now);
  const window: TimeWindow = { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
  return { window, keep: (d) => tests.every((t) => t(d)) };
}
