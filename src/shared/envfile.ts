// Parser for the composer's .env file (written by the agent). The format is deliberately tiny:
// KEY=value per line, optional single or double quotes, # comments. Bad lines are reported, not fatal.
// Ours rather than Node's util.parseEnv: that one cannot hold every value (it drops carriage
// returns, and a value with all three quote characters cannot be quoted at all), and a secret
// that comes back changed is a dump that cannot be uploaded. Double-quoted values take the escapes
// \\ \" \n \r, undone in one pass.

export interface EnvFileResult {
  values: Record<string, string>;
  badLines: number[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UNESCAPE: Record<string, string> = { n: '\n', r: '\r' };

export function parseEnvFile(text: string): EnvFileResult {
  const values: Record<string, string> = {};
  const badLines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const key = eq > 0 ? body.slice(0, eq).trim() : '';
    if (!KEY.test(key)) {
      badLines.push(i + 1);
      return;
    }
    let value = body.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\([\\"nr])/g, (_, c: string) => UNESCAPE[c] ?? c);
    } else if (q === '"' || q === "'") {
      badLines.push(i + 1);
      return;
    }
    values[key] = value;
  });
  return { values, badLines };
}

/** Serialise values so parseEnvFile reads them back unchanged. */
export function formatEnvFile(values: Record<string, string | undefined>): string {
  const lines = ['# Written by the core-dump-handler agent. Read by the composer. Mode 0600: holds secrets.'];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || !KEY.test(k)) continue;
    const escaped = v.replace(/[\\"\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
    lines.push(`${k}="${escaped}"`);
  }
  return lines.join('\n') + '\n';
}
