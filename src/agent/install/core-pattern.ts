// The core_pattern we install, and its length check. The kernel keeps at most 127 bytes
// (CORENAME_MAX_SIZE 128 with the NUL) and cuts the rest WITHOUT an error, which would hand the
// composer a truncated argument list. So we drop optional flags first, then refuse.
import { CdcError } from '../../shared/errors.ts';

export const CORE_PATTERN_MAX_BYTES = 127;

// The composer parses name=value pairs, so the order is free; this one keeps the Rust original's
// flags first, so its pattern and ours read alike. -E (the executable's path)
// feeds {pathname}.
const FLAGS: readonly (readonly [string, string])[] = [
  ['-c', '%c'], ['-e', '%e'], ['-p', '%p'], ['-s', '%s'], ['-t', '%t'], ['-h', '%h'],
  ['-P', '%P'], ['-E', '%E'], ['-u', '%u'], ['-g', '%g'], ['-D', '%d'], ['-F', '%F'],
];

/**
 * Dropped first when the pattern is too long, least useful first: -F (pidfd, kernel 6.16+ only),
 * -D (dump mode, informational), -p (namespace pid; -P, the host pid, is what the composer uses).
 */
export const OPTIONAL_FLAGS = ['-F', '-D', '-p'] as const;

export interface CorePattern {
  pattern: string;
  dropped: string[];
}

export function launcherPath(hostDir: string): string {
  return `${hostDir.replace(/\/+$/, '')}/cdc`;
}

function render(hostDir: string, drop: Set<string>): string {
  const args = FLAGS.filter(([f]) => !drop.has(f)).map(([f, v]) => `${f}=${v}`);
  return `|${launcherPath(hostDir)} ${args.join(' ')}`;
}

export function buildCorePattern(hostDir: string): CorePattern {
  const dropped: string[] = [];
  let pattern = render(hostDir, new Set());
  for (const flag of OPTIONAL_FLAGS) {
    if (Buffer.byteLength(pattern) <= CORE_PATTERN_MAX_BYTES) break;
    dropped.push(flag);
    pattern = render(hostDir, new Set(dropped));
  }
  const bytes = Buffer.byteLength(pattern);
  if (bytes > CORE_PATTERN_MAX_BYTES) {
    throw new CdcError('CDC_INSTALL_PATTERN_TOO_LONG', `${bytes} bytes even without ${dropped.join(' ')}; HOST_DIR=${hostDir}`, { bytes, hostDir });
  }
  return { pattern, dropped };
}

/** Whether a core_pattern value (as read back from /proc) is one this agent installed for hostDir. */
export function isOurPattern(value: string, hostDir: string): boolean {
  return value.trim().startsWith(`|${launcherPath(hostDir)} `);
}
