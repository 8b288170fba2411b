// The fault suite's report: one row per scenario, printed as one table at the end. The columns are
// what an operator asks of a crash collector under stress: of the dumps that should have been kept,
// how many arrived whole, how many were refused with a stable code (a configured limit doing its
// job), how many were lost without one, what was left behind or written where it must not be, and
// how long a crashed process was held at worst.
export interface FaultRow {
  scenario: string;
  expected: number;
  storedWhole: number;
  /** Refused with a stable code by a configured protection (spool cap, free-space floor). */
  refused: number;
  /** Neither stored whole nor refused with a code. */
  lost: number;
  /** Files left that look like dumps but are not whole, objects or files where they must not be. */
  leaked: number;
  longestHoldMs?: number;
}

export function renderFaultTable(rows: readonly FaultRow[]): string {
  const head = ['scenario', 'expected', 'stored whole', 'refused (code)', 'lost', 'leaked/outside', 'longest hold'];
  const body = rows.map((r) => [r.scenario, r.expected, r.storedWhole, r.refused, r.lost, r.leaked, r.longestHoldMs === undefined ? '-' : `${Math.round(r.longestHoldMs)} ms`].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}
