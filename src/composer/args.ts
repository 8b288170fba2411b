// Kernel arguments from core_pattern. The Rust original's flags (-c -e -p -s -t -h -E -d) keep
// their meaning; ours add the global pid, ids, dump mode and pidfd. Nothing here throws: an odd
// argument becomes a CDC_ARGS_INVALID problem and the dump goes on.
import { problem, type Problem } from '../shared/errors.ts';

export interface KernelArgs {
  /** %c: RLIMIT_CORE soft limit in bytes; undefined = unknown or unlimited. */
  readonly rlimitCore: bigint | undefined;
  readonly rlimitCoreRaw: string | undefined;
  readonly exeName: string | undefined; // %e (comm)
  readonly pathname: string | undefined; // %E (path with '/' as '!')
  readonly pid: number | undefined; // %p, in the process's own pid namespace
  readonly globalPid: number | undefined; // %P, in the initial pid namespace: the one /proc knows
  readonly tid: number | undefined; // %i
  readonly globalTid: number | undefined; // %I
  readonly signal: number | undefined; // %s
  readonly timestamp: number | undefined; // %t, seconds since the epoch
  readonly hostname: string | undefined; // %h
  readonly uid: number | undefined; // %u
  readonly gid: number | undefined; // %g
  readonly dumpMode: number | undefined; // %d: 0 off, 1 user, 2 suid-safe
  readonly pidfd: number | undefined; // %F (kernel >= 6.16)
  readonly coreDir: string | undefined; // -d=DIR (seed): overrides CORE_DIR
  readonly problems: readonly Problem[];
}

// Largest RLIMIT_CORE value the kernel prints: RLIM_INFINITY as unsigned 64-bit.
const bad = (detail: string): Problem => problem('CDC_ARGS_INVALID', detail);

const RLIM_INFINITY = 2n ** 64n - 1n;

const LONG_NAMES: Record<string, string> = {
  'limit-size': 'c', 'exe-name': 'e', pid: 'p', signal: 's', timestamp: 't', dir: 'd', hostname: 'h', pathname: 'E',
};

/** Splits "-c=5", "--limit-size=5", "-c 5" and "-c5" into [flag, value]; unknown forms are problems. */
function tokenize(argv: readonly string[], problems: Problem[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let m = /^--([a-z-]+)(?:=([\s\S]*))?$/.exec(a);
    let flag: string | undefined;
    let value: string | undefined;
    if (m) {
      flag = LONG_NAMES[m[1]!];
      value = m[2];
    } else if ((m = /^-([A-Za-z])(?:=?([\s\S]*))?$/.exec(a))) {
      flag = m[1];
      value = m[2] === '' ? undefined : m[2];
    }
    if (flag === undefined) {
      problems.push(bad(`unrecognised argument ${JSON.stringify(a.slice(0, 80))}`));
      continue;
    }
    if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) value = argv[++i];
    if (value === undefined) {
      problems.push(bad(`flag -${flag} has no value`));
      continue;
    }
    if (out.has(flag)) problems.push(bad(`flag -${flag} given twice; the last one wins`));
    out.set(flag, value);
  }
  return out;
}

function int(flags: Map<string, string>, flag: string, problems: Problem[], max = 2 ** 32): number | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) > max) {
    problems.push(bad(`flag -${flag} is not a number: ${JSON.stringify(v.slice(0, 40))}`));
    return undefined;
  }
  return Number(v);
}

/** A core_pattern specifier the kernel did not expand (an older kernel) arrives as "%X": treat as absent. */
function present(flags: Map<string, string>, problems: Problem[]): void {
  for (const [k, v] of flags) {
    if (/^%[A-Za-z]$/.test(v)) {
      problems.push(bad(`flag -${k} was not expanded by this kernel (${v})`));
      flags.delete(k);
    }
  }
}

/** -d=DIR (seed) replaces CORE_DIR: only a plain absolute path below the root, never one with "..". */
function coreDirFlag(v: string | undefined, problems: Problem[]): string | undefined {
  if (v === undefined) return undefined;
  if (/^\/[^\0\n]*[^/]$/.test(v) && !v.split('/').some((s) => s === '..' || s === '.')) return v;
  problems.push(bad(`flag -d is not a plain absolute directory: ${JSON.stringify(v.slice(0, 80))}; CORE_DIR is used`));
  return undefined;
}

export function parseKernelArgs(argv: readonly string[]): KernelArgs {
  const problems: Problem[] = [];
  const flags = tokenize(argv, problems);
  present(flags, problems);
  const rawLimit = flags.get('c');
  let rlimitCore: bigint | undefined;
  if (rawLimit !== undefined) {
    if (/^\d{1,20}$/.test(rawLimit)) {
      const n = BigInt(rawLimit);
      rlimitCore = n >= RLIM_INFINITY ? undefined : n;
    } else problems.push(bad(`flag -c is not a number: ${JSON.stringify(rawLimit.slice(0, 40))}`));
  }
  return {
    rlimitCore,
    rlimitCoreRaw: rawLimit,
    exeName: flags.get('e'),
    pathname: flags.get('E'),
    pid: int(flags, 'p', problems),
    globalPid: int(flags, 'P', problems),
    tid: int(flags, 'i', problems),
    globalTid: int(flags, 'I', problems),
    signal: int(flags, 's', problems, 128),
    timestamp: int(flags, 't', problems, Number.MAX_SAFE_INTEGER),
    hostname: flags.get('h'),
    uid: int(flags, 'u', problems),
    gid: int(flags, 'g', problems),
    dumpMode: int(flags, 'D', problems, 2),
    pidfd: int(flags, 'F', problems, 65535),
    coreDir: coreDirFlag(flags.get('d'), problems),
    problems,
  };
}
