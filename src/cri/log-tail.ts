// The last N lines of a container's CRI log file, as `crictl logs --tail=N` would print them.
// The file is the host path the runtime reports (ContainerStatus.log_path, under the kubelet's
// /var/log/pods); we never resolve anything inside the container's root filesystem. It is opened
// without following a final symlink and must be a regular file; reading is bounded in bytes.
import fs from 'node:fs';

const CHUNK = 64 * 1024;
export const DEFAULT_MAX_LOG_BYTES = 4 * 1024 * 1024;

// "2024-05-01T10:00:00.123456789Z stdout F message" (F = full line, P = partial, continued next)
const CRI_LINE = /^\S+ (?:stdout|stderr) ([PF])(?: (.*))?$/;

/** Turns raw CRI log lines into the messages; lines in another format are kept as they are. */
export function criMessages(rawLines: string[]): string[] {
  const out: string[] = [];
  let partial = '';
  for (const raw of rawLines) {
    const m = CRI_LINE.exec(raw);
    if (!m) {
      out.push(partial + raw);
      partial = '';
    } else if (m[1] === 'P') {
      partial += m[2] ?? '';
    } else {
      out.push(partial + (m[2] ?? ''));
      partial = '';
    }
  }
  if (partial) out.push(partial);
  return out;
}

/** Reads backwards from the end until `lines` complete lines are in hand (or maxBytes read). */
export async function readLastLines(path: string, lines: number, maxBytes = DEFAULT_MAX_LOG_BYTES): Promise<string[]> {
  if (!path.startsWith('/')) throw new Error(`log path is not absolute: ${path}`);
  if (lines <= 0) return [];
  const fh = await fs.promises.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`log path is not a regular file: ${path}`);
    const chunks: Buffer[] = [];
    let pos = st.size;
    let newlines = 0;
    let read = 0;
    // one extra newline: the line before the first wanted one must end inside what we read
    while (pos > 0 && newlines <= lines && read < maxBytes) {
      const len = Math.min(CHUNK, pos, maxBytes - read);
      pos -= len;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      const got = buf.subarray(0, bytesRead);
      for (const b of got) if (b === 0x0a) newlines++;
      chunks.unshift(got);
      read += bytesRead;
      if (bytesRead < len) break;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop(); // trailing newline
    if (pos > 0) all.shift(); // cut mid-line at the start of what we read
    return all;
  } finally {
    await fh.close();
  }
}

/** Last `lines` log messages of a CRI log file, newline-terminated. */
export async function tailCriLog(path: string, lines: number, maxBytes = DEFAULT_MAX_LOG_BYTES): Promise<Buffer> {
  const raw = await readLastLines(path, lines, maxBytes);
  const msgs = criMessages(raw).slice(-lines);
  return Buffer.from(msgs.length ? msgs.join('\n') + '\n' : '', 'utf8');
}
