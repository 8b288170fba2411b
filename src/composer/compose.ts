// One crash, start to finish: gather (the crash context, while the crashed process still exists)
// -> stream (stdin -> zip -> sink) -> record (the files that tell others the dump exists).
import type { Readable } from 'node:stream';
import type { Logger } from '../shared/log.ts';
import type { Config } from '../shared/config.ts';
import { problemOf, type Problem } from '../shared/errors.ts';
import type { KernelArgs } from './args.ts';
import { gatherCrash } from './crash-context.ts';
import type { DumpInfo } from './dump-info.ts';
import { recordDump } from './dump-record.ts';
import { openCore, streamDump } from './dump-stream.ts';
import { checkRate } from './rate-limit.ts';
import { dumpTriage, earlyTriage } from './triage/dump-triage.ts';
import type { SinkResult } from './sinks/index.ts';

export interface ComposeInput {
  readonly args: KernelArgs;
  readonly config: Config;
  readonly log: Logger;
  readonly stdin: Readable;
  /** Aborted with a CDC_TIMEOUT error when COMP_TIMEOUT runs out: finish the dump now. */
  readonly deadline: AbortSignal;
  /** Aborted when even that took too long: tear everything down. */
  readonly signal: AbortSignal;
  readonly startedAt: number; // performance.now() at process start
}

export type ComposeOutcome = 'stored' | 'spooled' | 'partial' | 'skipped' | 'aborted' | 'failed';

export interface ComposeResult {
  readonly outcome: ComposeOutcome;
  readonly name: string | undefined;
  readonly sink?: SinkResult;
  readonly dumpInfo?: DumpInfo;
  /** Why the dump failed, was aborted or skipped. */
  readonly problem?: Problem;
}

const OUTCOME: Record<SinkResult['kind'], ComposeOutcome> = { s3: 'stored', spool: 'spooled', partial: 'partial' };

export async function compose(input: ComposeInput): Promise<ComposeResult> {
  const { args, config, log, stdin, deadline, signal } = input;
  // Triage and the core's read-ahead first: they start reading only once gatherCrash awaits the
  // container runtime, after its /proc facts (read while the kernel still holds the process).
  const early = earlyTriage(args, config);
  const opened = openCore(config, args, early, stdin);
  const gathered = await gatherCrash(args, config, log, input.startedAt);
  if (gathered.skip) {
    opened.core.stream.destroy(); // the kernel stops writing and releases the crashed process at once
    log.info({ event: 'DumpSkipped', code: gathered.skip.code }, gathered.skip.reason);
    return { outcome: 'skipped', name: undefined, problem: { code: gathered.skip.code, detail: gathered.skip.reason } };
  }
  const { ctx } = gathered;
  const rate = await checkRate(ctx, config, log);
  if (rate && !rate.full) log.info({ event: 'DumpRateLimited', code: 'CDC_RATE_LIMITED', fullBefore: rate.fullBefore }, 'over COMP_RATE_LIMIT: the zip holds no core');
  const triage = dumpTriage(early, ctx, config, log, rate);
  const streamed = await streamDump(ctx, config, log, stdin, opened, deadline, signal, triage);
  if (!streamed.ok) return { outcome: signal.aborted ? 'aborted' : 'failed', name: ctx.name, problem: streamed.problem };
  await recordDump(ctx, streamed.result, streamed.dumpInfo, config, log, triage.summary(), rate?.full === false);
  // Kept, but cut short or finished in a hurry: still reported with its code.
  const late = deadline.aborted ? { problem: problemOf(deadline.reason, 'CDC_TIMEOUT') } : {};
  return { outcome: OUTCOME[streamed.result.kind], name: ctx.name, sink: streamed.result, dumpInfo: streamed.dumpInfo, ...late };
}
