// Facts about the crashed process from /proc/<%P>, read BEFORE stdin is drained: with
// core_pipe_limit=0 the process is gone as soon as the core has been read. Never executes or
// follows anything inside the container's root filesystem; readlink of /proc/<pid>/exe only reads.
import fs from 'node:fs';
import { problem, type Problem } from '../shared/errors.ts';

export interface ProcFacts {
  readonly cgroup: string | undefined;
  readonly comm: string | undefined;
  readonly exe: string | undefined;
  readonly cmdline: string[] | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly nspid: number[] | undefined; // pid in each nested pid namespace, outermost first
  readonly startTime: string | undefined; // field 22 of stat, in clock ticks since boot
  /** Raw proc files for COMP_INCLUDE_PROC_INFO, by file name. */
  readonly files: Record<string, Buffer>;
  readonly verified: 'pidfd' | 'starttime' | 'none';
  readonly problems: Problem[];
}

export const PROC_INFO_FILES = ['auxv', 'cmdline', 'environ', 'maps', 'status', 'limits', 'mountinfo'] as const;
const MAX_PROC_FILE = 4 * 1024 * 1024; // maps of a huge process can be large; cap what goes into the zip

function read(path: string, problems: Problem[], max = 1024 * 1024): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total >= max) break;
    }
    return Buffer.concat(chunks).subarray(0, max);
  } catch (e) {
    problems.push(problem('CDC_PROC_UNREADABLE', `${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`));
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function statStartTime(stat: string | undefined): string | undefined {
  if (!stat) return undefined;
  // comm (field 2) may hold spaces and parentheses: split after the LAST ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19]; // field 22 overall = index 19 after pid and comm
}

function statusField(status: string | undefined, name: string): string | undefined {
  return status?.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim();
}

/** The pid a pidfd refers to, from /proc/self/fdinfo: -1 once the process has been reaped. */
export function pidOfPidfd(fd: number): number | undefined {
  try {
    const m = /^Pid:\s*(-?\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ReadProcOptions {
  readonly pid: number;
  readonly pidfd?: number | undefined;
  readonly includeProcInfo: boolean;
  readonly procRoot?: string;
}

export function readProcFacts(opts: ReadProcOptions): ProcFacts {
  const problems: Problem[] = [];
  const dir = `${opts.procRoot ?? '/proc'}/${opts.pid}`;
  const statBefore = read(`${dir}/stat`, problems)?.toString('latin1');
  const status = read(`${dir}/status`, problems)?.toString('utf8');
  const cgroup = read(`${dir}/cgroup`, problems)?.toString('utf8');
  // The command line often holds secrets (--password=...): only with COMP_INCLUDE_PROC_INFO.
  const cmdlineBuf = opts.includeProcInfo ? read(`${dir}/cmdline`, problems, 64 * 1024) : undefined;
  let exe: string | undefined;
  try {
    exe = fs.readlinkSync(`${dir}/exe`);
  } catch (e) {
    problems.push(problem('CDC_PROC_UNREADABLE', `${dir}/exe: ${(e as NodeJS.ErrnoException).code ?? String(e)}`));
  }
  const files: Record<string, Buffer> = {};
  if (opts.includeProcInfo) {
    for (const f of PROC_INFO_FILES) {
      const b = f === 'status' && status ? Buffer.from(status) : read(`${dir}/${f}`, problems, MAX_PROC_FILE);
      if (b) files[f] = b;
    }
  }

  // Pid reuse check: a pidfd pins the process itself; without one, the start time must not change.
  let verified: ProcFacts['verified'] = 'none';
  let reused = false;
  if (opts.pidfd !== undefined) {
    const p = pidOfPidfd(opts.pidfd);
    if (p === opts.pid) verified = 'pidfd';
    else if (p !== undefined) reused = true;
  }
  if (verified === 'none' && !reused && statBefore) {
    const after = statStartTime(read(`${dir}/stat`, problems)?.toString('latin1'));
    if (after !== undefined && after === statStartTime(statBefore)) verified = 'starttime';
    else reused = true;
  }
  if (reused) {
    problems.push(problem('CDC_PID_REUSED', 'the pid no longer names the crashed process; /proc facts discarded'));
    return { cgroup: undefined, comm: undefined, exe: undefined, cmdline: undefined, uid: undefined, gid: undefined,
      nspid: undefined, startTime: undefined, files: {}, verified: 'none', problems };
  }
  const ids = (name: string) => statusField(status, name)?.split(/\s+/).map(Number);
  return {
    cgroup,
    comm: statusField(status, 'Name'),
    exe,
    cmdline: cmdlineBuf ? cmdlineBuf.toString('utf8').split('\0').filter((s, i, a) => s !== '' || i < a.length - 1) : undefined,
    uid: ids('Uid')?.[0],
    gid: ids('Gid')?.[0],
    nspid: ids('NSpid'),
    startTime: statStartTime(statBefore),
    files,
    verified,
    problems,
  };
}
