// The composer: started by the kernel once per crash (core_pattern "|HOST_DIR/cdc -c=%c ..."),
// with the core on stdin, an empty environment, cwd "/" and stdout/stderr on /dev/null.
// Thin on purpose: process safety, config, logging, the timeout, the exit code.
import fs from 'node:fs';
import path from 'node:path';
import { parseKernelArgs } from './args.ts';
import { compose } from './compose.ts';
import { loadConfig, redact, type Config } from '../shared/config.ts';
import { parseEnvFile } from '../shared/envfile.ts';
import { fileLogger } from '../shared/log.ts';
import { CdcError, describeError, formatProblem, problem, type Problem } from '../shared/errors.ts';
import { readRegularTextSync } from '../shared/spool/index.ts';
import { applyNice, compressionThreads, sizeThreadPool, usableCores } from './threads.ts';
import { BUDGET_DIR, takeLease, type Lease } from './node-budget.ts';
import { openStdin } from './stdin-reader.ts';

// Times are taken from process start (performance.now() counts from it): bootstrap and bundle
// load are part of how long a crashed process is held.
const startedAt = 0;

function homeDir(): string {
  // The directory holding cdc.cjs (or its launcher): the agent writes .env there, we log there.
  return path.dirname(path.resolve(process.argv[1] ?? '/'));
}

/** After COMP_TIMEOUT, the time left to put the rest on disk before everything is torn down. */
const HARD_GRACE_SEC = 30;

/** .env is small; anything far larger is not the agent's. */
const MAX_ENV_FILE = 1024 * 1024;
const MiB = 1024 * 1024;

/** Read without the thread pool: COMP_THREADS in it sizes the pool, which must not have started. */
function readEnvFile(file: string): { values: Record<string, string>; problems: Problem[] } {
  try {
    const { text, mode } = readRegularTextSync(file, MAX_ENV_FILE);
    const { values, badLines } = parseEnvFile(text);
    const problems = badLines.map((n) => problem('CDC_ENVFILE_LINE', `${file} line ${n} ignored`));
    if (mode & 0o077) problems.push(problem('CDC_ENVFILE_MODE', `${file} is readable by others (mode ${(mode & 0o777).toString(8)}); it holds secrets: chmod 600`));
    return { values, problems };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { values: {}, problems: [] };
    return { values: {}, problems: [problem(e instanceof CdcError ? e.code : 'CDC_ENVFILE_UNREADABLE', `${file}: ${code ?? describeError(e)}`)] };
  }
}

/** The composer's share of the node-wide budget; blocks while it is taken (see node-budget.ts). */
function nodeLease(home: string, c: Config): Lease {
  const cores = usableCores(); // one walk of the cgroup tree, on the crash path
  const want = { memoryMiB: c.memory.memoryBytes / MiB, threads: compressionThreads(c.threads, cores) };
  const settings = { ...c.nodeBudget, threads: c.nodeBudget.threads || cores };
  // A pid outlives its lease only if reused; the record expires when this composer must have ended.
  const until = Date.now() + (c.timeoutSec + HARD_GRACE_SEC + settings.waitMs / 1000 + 60) * 1000;
  return takeLease(path.join(home, BUDGET_DIR), settings, want, until);
}

async function main(): Promise<number> {
  const home = homeDir();
  const args = parseKernelArgs(process.argv.slice(2));
  const envFile = readEnvFile(path.join(home, '.env'));
  // The AWS SDK's default chain (web identity / IRSA) reads AWS_* from the process environment.
  for (const [k, v] of Object.entries(envFile.values)) if (k.startsWith('AWS_') && process.env[k] === undefined) process.env[k] = v;
  // The real environment wins over .env (the kernel gives none; tests and manual runs may).
  const env = { ...envFile.values, ...process.env };
  const { config: configured, warnings } = loadConfig(env);
  const lease = nodeLease(home, configured);
  // Lean: the same settings at the lease's memory (derived afresh: parts, blocks), no release buffer.
  const loaded = lease.memoryMiB === configured.memory.memoryBytes / MiB ? configured : loadConfig({ ...env, COMP_MEMORY_MIB: String(lease.memoryMiB), COMP_RELEASE_BUFFER_MIB: '0' }).config;
  const threads = lease.threads;
  const poolSize = sizeThreadPool(threads); // before anything uses the pool (the log file, zlib)
  const config = { ...loaded, threads, ...(args.coreDir ? { coreDir: args.coreDir } : {}) };
  const niceFailed = config.nice === 0 ? undefined : applyNice(config.nice);
  const log = fileLogger(process.env.COMP_LOG_FILE ?? path.join(home, 'composer.log'), config.logLevel, config.logMaxBytes);
  const always = log.child({}, { level: 'info' });
  // First line: a one-line summary of the crash, before any other work.
  always.info({ event: 'CrashReceived', loadedMs: Math.round(performance.now()), pid: args.pid, globalPid: args.globalPid, exe: args.exeName, signal: args.signal, uid: args.uid, rlimit: args.rlimitCoreRaw }, 'crash received');
  for (const p of [...envFile.problems, ...warnings, ...args.problems]) log.warn({ event: 'ConfigProblem', code: p.code }, formatProblem(p));
  log.info({ event: 'NodeBudget', mode: lease.mode, memoryMiB: lease.memoryMiB, threads: lease.threads, waitedMs: lease.waitedMs, holders: lease.holders }, `node budget: ${lease.mode}`);
  if (lease.mode === 'over') log.warn({ event: 'NodeBudgetFull', code: 'CDC_NODE_BUDGET_FULL', waitedMs: lease.waitedMs, holders: lease.holders }, `node budget (COMP_NODE_MEMORY_MIB=${config.nodeBudget.memoryMiB}) still taken after ${lease.waitedMs} ms: going on lean`);
  if (lease.problem) log.warn({ event: 'NodeBudgetUnavailable', code: 'CDC_NODE_BUDGET' }, lease.problem);
  if (niceFailed) log.warn({ event: 'NiceFailed', code: 'CDC_NICE_FAILED', nice: config.nice, err: describeError(niceFailed) }, 'COMP_NICE could not be applied');
  log.debug({ event: 'Resources', threads, poolSize, memoryMiB: config.memory.memoryBytes / 2 ** 20, partSchedule: config.partSchedule }, 'resources');
  if (log.isLevelEnabled('debug')) log.debug({ event: 'ConfigLoaded', config: redact(config) }, 'config');

  // COMP_TIMEOUT finishes the dump with what it has; if even that hangs (a disk that does not
  // answer), the hard limit tears it down, so the composer always ends.
  const deadline = new AbortController();
  const abort = new AbortController();
  const timers = [
    setTimeout(() => deadline.abort(new CdcError('CDC_TIMEOUT', `after ${config.timeoutSec}s`)), config.timeoutSec * 1000),
    setTimeout(() => abort.abort(new CdcError('CDC_TIMEOUT', `not finished ${HARD_GRACE_SEC}s after COMP_TIMEOUT`)), (config.timeoutSec + HARD_GRACE_SEC) * 1000),
  ];
  // A non-blocking socket on the kernel's pipe, read into 1 MiB blocks (stdin-reader.ts): no
  // blocking read() in libuv's thread pool (which zlib needs, and which would hold up exit on a
  // stalled pipe).
  const stdin = openStdin();
  try {
    const r = await compose({ args, config, log, stdin, deadline: deadline.signal, signal: abort.signal, startedAt });
    const failed = r.outcome === 'failed' || r.outcome === 'aborted';
    const err = r.problem && r.outcome !== 'skipped' ? { code: r.problem.code, err: formatProblem(r.problem) } : {};
    always[failed ? 'error' : r.problem && r.outcome !== 'skipped' ? 'warn' : 'info']({ event: 'DumpFinished', outcome: r.outcome, name: r.name, sink: r.sink, ...err, ms: Math.round(performance.now() - startedAt), maxRssKiB: process.resourceUsage().maxRSS }, `dump ${r.outcome}`);
    return failed ? 1 : 0;
  } finally {
    timers.forEach(clearTimeout);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    try {
      fs.appendFileSync(path.join(homeDir(), 'composer.log'), JSON.stringify({ level: 60, time: Date.now(), event: 'ComposerCrashed', code: 'CDC_INTERNAL', err: describeError(e) }) + '\n');
    } catch {
      // nowhere left to report
    }
    process.exit(2);
  },
);
