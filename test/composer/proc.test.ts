// /proc facts of the crashed process, and the check that the pid still names it: real child
// processes (a pidfd made by pidfd_open(2), as the kernel's %F gives one), and a scratch proc tree
// whose stat is a FIFO answering a different start time on each open: a pid reused between reads.
import t from 'tap';
import { formatProblem, type Problem } from '../../src/shared/errors.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { pidOfPidfd, readProcFacts, PROC_INFO_FILES, type ProcFacts } from '../../src/composer/proc.ts';

const PROC_TS = new URL('../../src/composer/proc.ts', import.meta.url).href;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const REUSED = /^CDC_PID_REUSED: /;

type Tap = { teardown(fn: () => unknown): void };

function scratch(t: Tap): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-proc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a process that stays until the test ends; resolves once it runs `file`. */
async function running(t: Tap, file: string, args: string[], opts: { uid?: number; gid?: number; env?: Record<string, string> } = {}): Promise<ChildProcess> {
  const child = spawn(file, args, { stdio: 'ignore', ...opts });
  t.teardown(() => { child.kill('SIGKILL'); });
  await once(child, 'spawn');
  return child;
}

const uptimeSec = () => Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

/** What a process that was not reused gives. */
function assertKept(t: { equal(a: unknown, b: unknown): void; same(a: unknown, b: unknown): void }, f: ProcFacts): void {
  t.equal(f.verified, 'starttime');
  t.same(f.problems, []);
}

const DISCARDED = {
  cgroup: undefined, comm: undefined, exe: undefined, cmdline: undefined, uid: undefined, gid: undefined,
  nspid: undefined, startTime: undefined, files: {}, verified: 'none',
};

t.test('a real process: its facts, verified by its start time', async (t) => {
  const before = uptimeSec();
  // sh stays (the command list does not end in a plain command), so its own cmdline is kept:
  // arguments with spaces, empty arguments in the middle and at the end.
  const child = await running(t, '/bin/sh', ['-c', 'sleep 60; :', '', 'a b', ''], { uid: 65534, gid: 65533, env: { CDC_MARK: 'proc-test' } });
  const pid = child.pid!;
  const f = readProcFacts({ pid, includeProcInfo: true });
  assertKept(t, f);
  t.equal(f.comm, 'sh');
  t.equal(f.exe, fs.realpathSync('/bin/sh'));
  t.same(f.cmdline, ['/bin/sh', '-c', 'sleep 60; :', '', 'a b', '']);
  t.equal(f.uid, 65534);
  t.equal(f.gid, 65533);
  t.same(f.nspid, [pid]);
  t.equal(f.cgroup, fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  const startedSec = Number(f.startTime) / CLK_TCK;
  t.ok(startedSec >= Math.floor(before) - 1 && startedSec <= uptimeSec() + 1, `start time ${f.startTime} ticks is when the child started (uptime ${before} s)`);
  t.same(Object.keys(f.files).sort(), [...PROC_INFO_FILES].sort());
  for (const name of PROC_INFO_FILES) t.ok(f.files[name]!.length > 0, `${name} read`);
  t.match(f.files.environ!.toString(), 'CDC_MARK=proc-test');
  t.match(f.files.status!.toString(), /^Name:\tsh$/m);

  t.same(readProcFacts({ pid, includeProcInfo: false }).files, {}, 'proc info files only when asked');
});

t.test('a real process whose comm holds spaces and parentheses', async (t) => {
  const dir = scratch(t);
  const name = ') b (c) 1 2 3'; // what would shift the stat fields if split at the first ')'
  const exe = path.join(dir, name);
  fs.copyFileSync(fs.realpathSync('/bin/sleep'), exe);
  fs.chmodSync(exe, 0o755);
  const before = uptimeSec();
  const child = await running(t, exe, ['60']);
  const f = readProcFacts({ pid: child.pid!, includeProcInfo: true });
  assertKept(t, f);
  t.equal(f.comm, name);
  t.equal(f.exe, exe);
  t.same(f.cmdline, [exe, '60']);
  const startedSec = Number(f.startTime) / CLK_TCK;
  t.ok(startedSec >= Math.floor(before) - 1 && startedSec <= uptimeSec() + 1, `start time ${f.startTime} ticks read after the last ')'`);
});

/** A stat line with `comm` and the start time (field 22); the other fields as a sleeping process has them. */
function statLine(pid: number, comm: string, startTime: string): string {
  const after = ['S', '1', String(pid), String(pid), '0', '-1', '4194560', '105', '0', '0', '0', '0', '0', '0', '0', '20', '0', '1', '0', startTime, '2273280', '192'];
  return `${pid} (${comm}) ${after.join(' ')} 0 0 0\n`;
}

/** A scratch /proc/<pid> holding everything but stat. */
function scratchProc(t: Tap, pid: number): { root: string; dir: string } {
  const root = scratch(t);
  const dir = path.join(root, String(pid));
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'status'), `Name:\tweird) (name\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nNSpid:\t${pid}\t7\n`);
  fs.writeFileSync(path.join(dir, 'cgroup'), '0::/kubepods/besteffort/podx/0123456789abcdef\n');
  fs.writeFileSync(path.join(dir, 'cmdline'), Buffer.from('/app/server\0--flag=a b\0\0last\0'));
  fs.symlinkSync('/app/server', path.join(dir, 'exe'));
  return { root, dir };
}

t.test('stat parsing: a comm with spaces and parentheses; cmdline splitting; status ids', async (t) => {
  const { root, dir } = scratchProc(t, 4242);
  fs.writeFileSync(path.join(dir, 'stat'), statLine(4242, 'weird) (name', '987654'));
  const f = readProcFacts({ pid: 4242, includeProcInfo: false, procRoot: root });
  t.equal(f.cmdline, undefined, 'the command line (often holding secrets) only on opt-in');
  assertKept(t, f);
  t.equal(f.startTime, '987654');
  t.equal(f.comm, 'weird) (name');
  t.same(readProcFacts({ pid: 4242, includeProcInfo: true, procRoot: root }).cmdline, ['/app/server', '--flag=a b', '', 'last']);
  t.equal(f.uid, 1000, 'the real uid');
  t.equal(f.gid, 2000, 'the real gid');
  t.same(f.nspid, [4242, 7], 'outermost first');
  t.equal(f.exe, '/app/server');
  t.equal(f.cgroup, '0::/kubepods/besteffort/podx/0123456789abcdef\n');
});

t.test('a missing proc file is a problem, not a lost dump: the other facts stay', async (t) => {
  const { root, dir } = scratchProc(t, 4243);
  fs.writeFileSync(path.join(dir, 'stat'), statLine(4243, 'x', '5'));
  fs.rmSync(path.join(dir, 'cgroup'));
  const f = readProcFacts({ pid: 4243, includeProcInfo: true, procRoot: root });
  t.equal(f.verified, 'starttime');
  t.equal(f.cgroup, undefined);
  t.equal(f.comm, 'weird) (name');
  t.ok(f.problems.some((p) => formatProblem(p).startsWith(`CDC_PROC_UNREADABLE: ` + `${dir}/cgroup: ENOENT`)), f.problems.map(formatProblem).join('; '));
  t.ok(f.problems.some((p) => formatProblem(p).startsWith(`CDC_PROC_UNREADABLE: ` + `${dir}/environ: ENOENT`)), 'proc info files that are absent are named');
  t.same(Object.keys(f.files).sort(), ['cmdline', 'status']);
});

/**
 * Makes `stat` a FIFO and starts a writer that answers each open with the next start time:
 * the process read the first time and the one read the second time are then told apart.
 */
async function statFifo(t: Tap, dir: string, pid: number, startTimes: string[]): Promise<ChildProcess> {
  const fifo = path.join(dir, 'stat');
  execFileSync('mkfifo', [fifo]);
  // One open and one close per answer; the pause lets the reader see EOF before the next open.
  const script = 'fifo=$1; shift; for line in "$@"; do printf "%s" "$line" > "$fifo"; sleep 0.5; done';
  const w = spawn('/bin/sh', ['-c', script, 'writer', fifo, ...startTimes.map((s) => statLine(pid, 'app', s))], { stdio: 'ignore' });
  t.teardown(() => { w.kill('SIGKILL'); });
  await once(w, 'spawn');
  return w;
}

t.test('the same start time on both reads of stat: kept', async (t) => {
  const { root, dir } = scratchProc(t, 5001);
  const w = await statFifo(t, dir, 5001, ['1000', '1000']);
  const f = readProcFacts({ pid: 5001, includeProcInfo: false, procRoot: root });
  assertKept(t, f);
  t.equal(f.startTime, '1000');
  t.equal(f.comm, 'weird) (name');
  t.same(await once(w, 'exit'), [0, null], 'stat was read exactly twice');
});

t.test('pid reused between the reads (the start time changed): the facts are discarded, CDC_PID_REUSED', async (t) => {
  const { root, dir } = scratchProc(t, 5002);
  const w = await statFifo(t, dir, 5002, ['1000', '2000']);
  const f = readProcFacts({ pid: 5002, includeProcInfo: true, procRoot: root });
  t.match(f, DISCARDED);
  t.same(f.files, {});
  t.ok(f.problems.some((p) => REUSED.test(formatProblem(p))), f.problems.map(formatProblem).join('; '));
  t.same(await once(w, 'exit'), [0, null], 'stat was read twice');
});

t.test('no stat at all: nothing to verify with, so the facts stay unverified and the problem is named', async (t) => {
  const { root, dir } = scratchProc(t, 5003);
  const f = readProcFacts({ pid: 5003, includeProcInfo: false, procRoot: root });
  t.equal(f.verified, 'none');
  t.ok(f.problems.some((p) => formatProblem(p).startsWith(`CDC_PROC_UNREADABLE: ` + `${dir}/stat: ENOENT`)));
});

// ---- pidfd: a real one, from pidfd_open(2), handed on fd 3 to a Node process, as %F does ----

const PIDFD_EXEC_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
/* pidfd-exec PID PROGRAM ARGS...: runs PROGRAM with a pidfd of PID on fd 3 (what the kernel's %F gives). */
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
  if (fd < 0) { perror("pidfd_open"); return 1; }
  if (fd == 3) fcntl(3, F_SETFD, 0); else if (dup2(fd, 3) != 3) { perror("dup2"); return 1; }
  execv(argv[2], argv + 2);
  perror("execv");
  return 1;
}
`;

function buildPidfdExec(): string {
  const dir = '/tmp/cdc-fixtures';
  const out = `${dir}/pidfd-exec`;
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${out}.c`, PIDFD_EXEC_C);
  execFileSync('gcc', ['-O1', '-o', `${out}.tmp-${process.pid}`, `${out}.c`]);
  fs.renameSync(`${out}.tmp-${process.pid}`, out);
  return out;
}

// Answers one command per line: "pid" (pidOfPidfd(3)) or "facts <pid>" (readProcFacts with pidfd 3).
const PIDFD_CHILD = `
import readline from 'node:readline';
import { pidOfPidfd, readProcFacts } from ${JSON.stringify(PROC_TS)};
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  const answer = cmd === 'pid' ? pidOfPidfd(3) : readProcFacts({ pid: Number(arg), pidfd: 3, includeProcInfo: true });
  process.stdout.write(JSON.stringify(answer ?? null) + '\\n');
}
`;

async function pidfdHolder(t: Tap, targetPid: number): Promise<(cmd: string) => Promise<any>> {
  const holder = spawn(buildPidfdExec(), [String(targetPid), process.execPath, '--input-type=module', '-e', PIDFD_CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => { holder.kill('SIGKILL'); });
  const lines = readline.createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
  return async (cmd) => {
    holder.stdin!.write(cmd + '\n');
    const next = await lines.next();
    if (next.done) throw new Error(`the pidfd holder exited (code ${holder.exitCode})`);
    return JSON.parse(next.value as string);
  };
}

t.test('a pidfd names its process: verified by pidfd; another pid with that pidfd is a reuse', async (t) => {
  const target = await running(t, '/bin/sleep', ['60']);
  const ask = await pidfdHolder(t, target.pid!);
  t.equal(await ask('pid'), target.pid, 'pidOfPidfd reads the pid from fdinfo');
  const f = await ask(`facts ${target.pid}`);
  t.equal(f.verified, 'pidfd');
  t.same(f.problems, []);
  t.equal(f.comm, 'sleep');
  t.same(f.cmdline, ['/bin/sleep', '60']);

  const other = await running(t, '/bin/sleep', ['61']);
  const g = await ask(`facts ${other.pid}`);
  t.match(g, DISCARDED, 'a live process, but not the one the pidfd pins');
  t.ok(g.problems.some((p: Problem) => REUSED.test(formatProblem(p))), g.problems.map((p: Problem) => formatProblem(p)).join('; '));

  target.kill('SIGKILL');
  await once(target, 'exit'); // reaped by us, its parent
  t.equal(await ask('pid'), -1, 'a pidfd of a reaped process says -1');
  const h = await ask(`facts ${target.pid}`);
  t.match(h, { verified: 'none', comm: undefined });
  t.ok(h.problems.some((p: Problem) => REUSED.test(formatProblem(p))));
});

t.test('an fd that is not a pidfd: pidOfPidfd knows nothing, the start time check is used', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  const fd = fs.openSync(path.join(dir, 'file'), 'r');
  t.teardown(() => fs.closeSync(fd));
  t.equal(pidOfPidfd(fd), undefined, 'a regular file');
  t.equal(pidOfPidfd(1_000_000), undefined, 'a closed fd');
  const child = await running(t, '/bin/sleep', ['60']);
  const f = readProcFacts({ pid: child.pid!, pidfd: fd, includeProcInfo: false });
  assertKept(t, f);
  t.equal(f.comm, 'sleep');
});
