// Triage as the dump stream sees it. earlyTriage, from the kernel's arguments, observes the core
// from its first byte; dumpTriage adds what needs the crash context: the S3 metadata, whether the
// core is left out (rate limit), and after the core the crash.json entry plus the summary that
// dump-info, the agent record and the logs carry.
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import type { KernelArgs } from '../args.ts';
import type { CrashContext } from '../crash-context.ts';
import { crashJsonEntry, type ZipEntry } from '../entries.ts';
import { objectMetadata } from '../object-metadata.ts';
import type { RateState } from '../rate-limit.ts';
import { crashDoc, headline } from './crash-json.ts';
import { startTriage, type Triage } from './index.ts';

/** What the rest of the dump says about the crash. */
export interface CrashSummary {
  readonly headline: string;
  readonly fingerprint: string;
  readonly signalName: string | undefined;
  /** Crashes with this fingerprint in the rate window, this one included (undefined: not counted). */
  readonly count: number | undefined;
  readonly windowSec: number | undefined;
  readonly expectedCoreBytes: number | undefined;
}

export interface DumpTriage {
  /** The core is left out of the zip (over COMP_RATE_LIMIT): read at pipe speed, observed only. */
  readonly coreless: boolean;
  metadata(): Record<string, string>;
  /** After the core: the crash.json entry (undefined with COMP_TRIAGE=false). */
  entry(): Promise<ZipEntry | undefined>;
  /** Set once entry() has run. */
  summary(): CrashSummary | undefined;
}

/**
 * Triage from the kernel's arguments alone, so it watches the core from its first byte, which may
 * come before the crash context is complete (the runtime lookup); undefined with COMP_TRIAGE=false.
 */
export function earlyTriage(args: KernelArgs, config: Config): Triage | undefined {
  return config.triage ? startTriage({ pid: args.globalPid ?? args.pid, exeName: args.exeName }) : undefined;
}

export function dumpTriage(triage: Triage | undefined, ctx: CrashContext, config: Config, log: Logger, rate: RateState | undefined): DumpTriage {
  let summary: CrashSummary | undefined;
  return {
    coreless: rate?.full === false,
    metadata: () => objectMetadata(ctx, triage?.early()),
    summary: () => summary,
    async entry() {
      if (!triage) return undefined;
      const r = await triage.finish();
      const count = await rate?.recordFingerprint(r.analysis.fingerprint);
      const windowSec = config.rateLimit?.windowSec;
      const occurrence = count === undefined || windowSec === undefined ? undefined : { count, windowSec };
      summary = {
        headline: headline(r.analysis, r.names), fingerprint: r.analysis.fingerprint, signalName: r.analysis.signalName,
        count, windowSec, expectedCoreBytes: r.facts.expectedCoreBytes,
      };
      const level = r.problems.length ? 'warn' : 'info';
      log[level]({ event: 'CrashTriaged', code: r.problems.length ? 'CDC_TRIAGE_PARTIAL' : undefined, summary: summary.headline, fingerprint: summary.fingerprint, frames: r.analysis.frames.length, problems: r.problems.slice(0, 5) }, 'crash triaged');
      return crashJsonEntry(ctx.name, crashDoc({ facts: r.facts, analysis: r.analysis, names: r.names, occurrence, problems: r.problems, includeArgs: config.includeProcInfo }));
    },
  };
}
