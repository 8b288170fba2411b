// The crash context: everything known about one crash apart from its core, gathered once and
// frozen. dump-info, the zip's metadata entries, the agent record and the core event file are all
// made from it. /proc needs the crashed process, so it is read first, synchronously, before a byte
// of the core (with core_pipe_limit=0 /proc/<pid> is gone as soon as the core has been read); the
// container runtime is asked next, while the core is already being read (dump-stream.ts openCore).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/log.ts';
import { problem, problemOf, type Problem } from '../shared/errors.ts';
import { lookupCrash, type CrashMetadata } from '../cri/index.ts';
import type { KernelArgs } from './args.ts';
import { criSettings } from './cri-settings.ts';
import { podSelected } from './entries.ts';
import { pidOfPidfd, readProcFacts, type ProcFacts } from './proc.ts';
import { renderName, uniqueName } from './template.ts';

export interface CrashContext {
  readonly args: KernelArgs;
  /** /proc/<%P> facts; undefined without a pid. */
  readonly proc: ProcFacts | undefined;
  /** The container runtime's answer; undefined when /proc gave no cgroup or the lookup failed. */
  readonly meta: CrashMetadata | undefined;
  readonly uuid: string;
  /** The dump's name from COMP_FILENAME_TEMPLATE, path- and key-safe. */
  readonly name: string;
  readonly nodeHostname: string;
  /** When the process crashed (%t), else when we were started: every zip entry's mtime. */
  readonly crashedAt: Date;
  /** performance.now() at process start. */
  readonly startedAt: number;
  /** Every problem met while gathering, in order: kernel args, /proc, CRI, the name. */
  readonly problems: readonly Problem[];
}

/** Why no dump is taken at all (the core is not read). */
export interface Skip {
  readonly code: 'CDC_RLIMIT_ZERO' | 'CDC_POD_NOT_SELECTED';
  readonly reason: string;
}

export type Gathered = { readonly ctx: CrashContext; readonly skip?: undefined } | { readonly skip: Skip };

async function runtimeMetadata(proc: ProcFacts | undefined, config: Config, log: Logger): Promise<CrashMetadata | undefined> {
  if (proc?.cgroup === undefined) return undefined;
  try {
    // Each CRI call gets COMP_CRI_TIMEOUT_MS; the whole lookup (a few calls, plus loading the gRPC
    // client) at most three times that.
    return await lookupCrash({ cgroup: proc.cgroup, settings: criSettings(config), log, deadlineMs: 3 * config.criTimeoutMs });
  } catch (e) {
    const p = problemOf(e, 'CDC_CRI_FAILED');
    log.warn({ event: 'CrashLookupFailed', code: p.code, err: p.detail }, 'metadata lookup failed; dumping without pod fields');
    return undefined;
  }
}

export async function gatherCrash(args: KernelArgs, config: Config, log: Logger, startedAt: number): Promise<Gathered> {
  // RLIMIT_CORE: the kernel pipes the whole core whatever the limit; honour it here.
  if (args.rlimitCore === 0n && !config.ignoreRlimit) {
    return { skip: { code: 'CDC_RLIMIT_ZERO', reason: 'RLIMIT_CORE is 0: no dump taken' } };
  }
  // %p is the pid in the crashed process's own pid namespace: on the host's /proc it may name
  // another process. Only %P (or the pid a %F pidfd pins) says which process crashed.
  const pid = args.globalPid ?? (args.pidfd === undefined ? undefined : pidOfPidfd(args.pidfd));
  const unverified = pid === undefined && args.pid !== undefined
    ? [problem('CDC_PROC_UNVERIFIED', 'core_pattern passes %p but neither %P nor %F: /proc was not read, so pod, container and process facts are unknown. Add -P=%P to core_pattern (the agent installs it)')]
    : [];
  const proc = pid === undefined ? undefined : readProcFacts({ pid, pidfd: args.pidfd, includeProcInfo: config.includeProcInfo });
  if (unverified.length) log.warn({ event: 'ProcNotRead', code: 'CDC_PROC_UNVERIFIED' }, unverified[0]!.detail);
  if (proc?.problems.length) log.info({ event: 'ProcPartlyRead', problems: proc.problems.slice(0, 10) }, 'some /proc facts missing');
  const meta = await runtimeMetadata(proc, config, log);
  log.info({ event: 'MetadataCollected', ms: Math.round(performance.now() - startedAt), container: meta?.container, pod: meta?.pod?.name, hostCrash: meta?.hostCrash }, 'metadata collected');
  if (!podSelected(meta, config.podSelectorLabel)) {
    return { skip: { code: 'CDC_POD_NOT_SELECTED', reason: `pod ${meta?.pod?.name ?? '?'} lacks COMP_POD_SELECTOR_LABEL ${config.podSelectorLabel}: no dump taken` } };
  }

  const uuid = randomUUID();
  const rendered = renderName(config.filenameTemplate, {
    uuid, timestamp: args.timestamp ?? Math.floor(Date.now() / 1000), hostname: args.hostname ?? os.hostname(),
    exe_name: args.exeName ?? proc?.comm, pid: args.pid, signal: args.signal, limit_size: args.rlimitCoreRaw,
    pathname: args.pathname, namespace: meta?.pod?.namespace, podname: meta?.pod?.name, container: meta?.container,
  }, uuid);
  const unique = uniqueName(config.filenameTemplate, rendered.name, uuid);
  const templateProblems = unique.problem ? [...rendered.problems, unique.problem] : rendered.problems;
  const nameProblems = templateProblems.map((p) => problem('CDC_TEMPLATE_INVALID', p));
  if (nameProblems.length) log.warn({ event: 'TemplateProblem', code: 'CDC_TEMPLATE_INVALID', problems: templateProblems }, 'filename template problem');

  const ctx: CrashContext = {
    args, proc, meta, uuid, name: unique.name, nodeHostname: os.hostname(),
    crashedAt: args.timestamp ? new Date(args.timestamp * 1000) : new Date(),
    startedAt,
    problems: Object.freeze([...args.problems, ...unverified, ...(proc?.problems ?? []), ...(meta?.problems ?? []), ...nameProblems]),
  };
  return { ctx: Object.freeze(ctx) };
}
