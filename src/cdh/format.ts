// How cdh writes values for people: times in UTC (the cluster's nodes and the user rarely share a
// zone), sizes in binary units, and a table that fits the terminal.
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Narrowest it may be cut to (with "…"); equal to the natural width when it may not be cut. */
  readonly min?: number;
  /** Columns are dropped lowest first when even the cut table does not fit. */
  readonly priority: number;
}

const GAP = 2;

function cut(s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/** Rows under headers, fitted to `width` columns: long columns are cut first, then the least important dropped. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], width: number): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r).replace(/\s+/g, ' ')));
  let cols = columns.map((c, i) => {
    const natural = Math.max(c.header.length, ...cells.map((row) => row[i]!.length));
    return { i, c, width: natural, min: Math.min(natural, Math.max(c.header.length, c.min ?? natural)) };
  });
  const total = () => cols.reduce((n, c) => n + c.width, 0) + GAP * (cols.length - 1);
  while (total() > width && cols.length > 1) {
    // One character at a time from the widest cuttable column, so long columns end up alike.
    const widest = cols.filter((c) => c.width > c.min).sort((a, b) => b.width - a.width)[0];
    if (widest) widest.width -= 1;
    else cols = cols.filter((c) => c !== cols.reduce((lo, x) => (x.c.priority < lo.c.priority ? x : lo)));
  }
  const line = (values: string[]) => cols.map((c) => cut(values[c.i]!, c.width)).join(' '.repeat(GAP)).trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** The terminal's width; not a terminal: COLUMNS, else wide enough for anything. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : 100_000;
}
