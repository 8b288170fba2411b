// The composer: started by the kernel once per crash (core_pattern "|HOST_DIR/cdc -c=%c ..."),
// with the core on stdin, an empty environment, cwd "/" and stdout/stderr on /dev/null.
// Thin on purpose: process safety, config, logging, the timeout, the exit code.
import fs from 'node:fs';
import path from 'node:path';
import { parseKernelArgs } from './args.ts';
import { compose } from './pipeline.ts';
import { loadConfig, redact } from '../shared/config.ts';
import { parseEnvFile } from '../shared/envfile.ts';
import { fileLogger } from '../shared/log.ts';
import { describeError } from '../shared/errors.ts';

// Times are taken from process start (performance.now() counts from it): bootstrap and bundle
// load are part of how long a crashed process is held.
const startedAt = 0;

function homeDir(): string {
  // The directory holding cdc.cjs (or its launcher): the agent writes .env there, we log there.
  return path.dirname(path.resolve(process.argv[1] ?? '/'));
}

function readEnvFile(file: string): { values: Record<string, string>; problems: string[] } {
  try {
    const st = fs.statSync(file);
    const { values, badLines } = parseEnvFile(fs.readFileSync(file, 'utf8'));
    const problems = badLines.map((n) => `CDC_ENVFILE_LINE: ${file} line ${n} ignored`);
    if (st.mode & 0o077) problems.push(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); it holds secrets: chmod 600`);
    return { values, problems };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { values: {}, problems: code === 'ENOENT' ? [] : [`${file}: ${code ?? describeError(e)}`] };
  }
}

async function main(): Promise<number> {
  const home = homeDir();
  const args = parseKernelArgs(process.argv.slice(2));
  const envFile = readEnvFile(path.join(home, '.env'));
  // The AWS SDK's default chain (web identity / IRSA) reads AWS_* from the process environment.
  for (const [k, v] of Object.entries(envFile.values)) if (k.startsWith('AWS_') && process.env[k] === undefined) process.env[k] = v;
  // The real environment wins over .env (the kernel gives none; tests and manual runs may).
  const { config: loaded, warnings } = loadConfig({ ...envFile.values, ...process.env });
  const config = args.coreDir ? { ...loaded, coreDir: args.coreDir } : loaded;
  const log = fileLogger(process.env.COMP_LOG_FILE ?? path.join(home, 'composer.log'), config.logLevel, config.logMaxBytes);
  const always = log.child({}, { level: 'info' });
  // First line: a one-line summary of the crash, before any other work.
  always.info({ event: 'CrashReceived', loadedMs: Math.round(performance.now()), pid: args.pid, globalPid: args.globalPid, exe: args.exeName, signal: args.signal, uid: args.uid, rlimit: args.rlimitCoreRaw }, 'crash received');
  for (const w of [...envFile.problems, ...warnings, ...args.problems]) log.warn({ event: 'ConfigProblem' }, w);
  if (log.isLevelEnabled('debug')) log.debug({ event: 'ConfigLoaded', config: redact(config) }, 'config');

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.timeoutSec * 1000);
  // process.stdin is a non-blocking pipe socket when the kernel feeds us: no blocking read() in
  // libuv's thread pool (which zlib needs, and which would hold up exit on a stalled pipe).
  const stdin = process.stdin;
  try {
    const r = await compose({ args, config, log, stdin, signal: abort.signal, startedAt });
    const level = r.outcome === 'failed' || r.outcome === 'aborted' ? 'error' : 'info';
    always[level]({ event: 'DumpFinished', outcome: r.outcome, name: r.name, sink: r.sink, err: r.error, ms: Math.round(performance.now() - startedAt), maxRssKiB: process.resourceUsage().maxRSS }, `dump ${r.outcome}`);
    return r.outcome === 'failed' || r.outcome === 'aborted' ? 1 : 0;
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    try {
      fs.appendFileSync(path.join(homeDir(), 'composer.log'), JSON.stringify({ level: 60, time: Date.now(), event: 'ComposerCrashed', err: describeError(e) }) + '\n');
    } catch {
      // nowhere left to report
    }
    process.exit(2);
  },
);
