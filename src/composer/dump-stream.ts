// The stream stage of a dump: stdin -> core source -> zip (metadata entries, the core, dump-info)
// -> sink. The stages are joined here and only here: `pipeline` ties the zip's output to the sink,
// and one teardown stops every stage when any of them fails or the timeout fires, so a failure
// anywhere never leaves a zip that looks whole.
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/log.ts';
import { codeOf, describeError, problemOf, type Problem } from '../shared/errors.ts';
import type { CrashContext } from './crash-context.ts';
import { coreSource, type CoreSource } from './core-source.ts';
import { openReleaseFile } from './release-file.ts';
import { buildDumpInfo, type DumpInfo } from './dump-info.ts';
import { coreEntryName, dumpInfoEntry, metadataEntries, procEntries } from './entries.ts';
import { GC_EVERY_BYTES, gcPacer } from '../shared/gc-pacer.ts';
import { openSink, type SinkResult } from './sinks/index.ts';
import type { DumpTriage } from './triage/dump-triage.ts';
import type { Triage } from './triage/index.ts';
import type { KernelArgs } from './args.ts';
import type { BlockStdin } from './stdin-reader.ts';
import { deferSink } from './sinks/deferred.ts';
import { createZipWriter, type ZipWriter } from './zip/index.ts';
import { capacityBytes } from '../shared/part-schedule.ts';
import { releaseInMemory } from '../shared/memory-plan.ts';

const METADATA = { codec: 'deflate', level: 6 } as const;
/** Zip bytes after the core entry is cut: blocks still compressing, crash.json, dump-info, the directory. */
const TAIL_RESERVE_BYTES = 16 << 20;

/**
 * The zip size at which the core entry is cut so the zip still fits the store's part limit
 * (S3_MAX_PARTS, parts growing as the schedule says): decided as the zip grows, never at the last
 * part. A spooled zip is uploaded by the agent with the same schedule, so the limit holds for it
 * too; without S3 there is none. `heldBytes`: core read ahead in memory, which a cut cannot take
 * back (a release file's can be).
 */
export function zipCutBytes(config: Config, heldBytes = 0): number {
  if (!config.s3.bucket) return Infinity;
  return capacityBytes(config.partSchedule) - config.memory.blockBudgetBytes - heldBytes - TAIL_RESERVE_BYTES;
}

export type Streamed =
  | { readonly ok: true; readonly result: SinkResult; readonly dumpInfo: DumpInfo }
  | { readonly ok: false; readonly problem: Problem };

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

async function writeZip(zip: ZipWriter, ctx: CrashContext, opened: OpenedCore, config: Config, log: Logger, triage: DumpTriage): Promise<DumpInfo> {
  const { core } = opened;
  const mtime = ctx.crashedAt;
  for (const e of [...metadataEntries(ctx.name, ctx.meta), ...procEntries(ctx.name, ctx.proc)]) await zip.addBuffer(e.name, e.data, { ...METADATA, mtime });
  const entryName = coreEntryName(ctx.name, config.codec);
  if (!triage.coreless) await core.filled; // the release buffer first: the main thread only reads till then
  const stats = triage.coreless
    ? await drainCore(core) // over COMP_RATE_LIMIT: read at pipe speed, observed by triage, not stored
    : await zip.addStream(entryName, core.stream, { codec: config.codec, level: config.compressionLevel, mtime, recycle: (c) => core.recycle(c) });
  const heldMs = Math.round((core.stats.drainedAt ?? performance.now()) - ctx.startedAt);
  log.info({ event: 'CoreDrained', bytes: core.stats.bytes, seenBytes: core.stats.seenBytes, truncated: core.stats.truncated, reason: core.stats.truncatedReason, heldMs, pipeBytes: opened.pipeBytes() }, 'core read from the kernel');
  const crash = await triage.entry();
  // The core's own program headers say how long it must be: a core cut short by the kernel (a
  // killed dump, a full pipe buffer lost) is stored, but never as if it were whole.
  const expected = triage.summary()?.expectedCoreBytes;
  const short = !core.stats.truncated && expected !== undefined && core.stats.bytes < expected;
  if (short) log.warn({ event: 'CoreShort', code: 'CDC_CORE_SHORT', bytes: core.stats.bytes, expectedBytes: expected }, 'the core is shorter than its ELF headers say; stored, marked truncated');
  if (crash) await zip.addBuffer(crash.name, crash.data, { ...METADATA, mtime });
  const dumpInfo = buildDumpInfo(ctx, {
    entryName: triage.coreless ? '' : entryName, coreBytes: core.stats.bytes, seenBytes: core.stats.seenBytes, storedBytes: stats.storedBytes, crc32: stats.crc32,
    truncated: core.stats.truncated || short, truncatedReason: short ? 'short_read' : core.stats.truncatedReason,
    codec: config.codec, level: config.compressionLevel, stdinDrainedMs: heldMs,
  }, { crash: triage.summary(), coreOmitted: triage.coreless ? 'rate-limited' : undefined });
  const info = dumpInfoEntry(ctx.name, dumpInfo);
  await zip.addBuffer(info.name, info.data, { ...METADATA, mtime });
  await zip.finish();
  return dumpInfo;
}

/** Cuts the core entry once the zip reaches `cutBytes`; the rest of the core is drained unstored. */
function watchPartLimit(zip: ZipWriter, core: CoreSource, cutBytes: number, log: Logger): void {
  if (cutBytes === Infinity) return;
  let bytes = 0;
  const onData = (b: Buffer) => {
    bytes += b.length;
    if (bytes < cutBytes) return;
    zip.output.off('data', onData);
    log.warn({ event: 'CoreCutAtPartLimit', code: 'CDC_S3_PART_LIMIT', zipBytes: bytes, coreBytes: core.stats.bytes }, 'the zip reached what S3_MAX_PARTS parts hold: the core entry ends here (raise COMP_MEMORY_MIB for larger parts)');
    core.drop('part_limit');
  };
  zip.output.on('data', onData);
}

async function drainCore(core: CoreSource): Promise<{ storedBytes: number; crc32: number }> {
  core.stream.resume();
  await finished(core.stream);
  return { storedBytes: 0, crc32: 0 };
}

/** The core as read from stdin, opened before the crash context is complete (see openCore). */
export interface OpenedCore {
  readonly core: CoreSource;
  /** Core bytes the release buffer may hold in memory (none when it is a file on disk). */
  readonly heldInMemory: number;
  /** The stdin pipe's size once widened (pipe-size.ts); undefined before, or where it could not be. */
  pipeBytes(): number | undefined;
}

/**
 * Starts reading the core: into the release buffer at pipe speed, watched by triage. Called before
 * the container runtime is asked about the crash, so a slow CRI answer no longer holds the crashed
 * process (a cold lookup against containerd took ~54 ms here, and up to 3 x COMP_CRI_TIMEOUT_MS
 * when it does not answer). Nothing is read before the caller's next await, so /proc facts read
 * synchronously until then still see the process. A core the rate limit later leaves out is then
 * drained (what the buffer took is read back and dropped); one not to be dumped at all is destroyed.
 * SPOOL_MAX_BYTES=0 asks for nothing on disk: the buffer then stays in memory. The file costs a
 * statfs and an open (~30 us measured) before the first read.
 */
export function openCore(config: Config, args: KernelArgs, triage: Triage | undefined, stdin: Readable): OpenedCore {
  const wanted = config.memory.releaseBufferBytes;
  const releaseFile = wanted > 0 && config.spoolMaxBytes > 0 ? openReleaseFile(config.coreDir, wanted, config.spoolMinFreeBytes) : undefined;
  const release = releaseFile ? wanted : Math.min(wanted, releaseInMemory(config.memory));
  // The pipe grows only once triage is past the notes (the modules they name are open): a larger
  // pipe lets the kernel finish a small core, and free the process, sooner. A file or tty on stdin
  // (process.stdin, no widen) is left as it is.
  const widen = (stdin as Readable & Partial<BlockStdin>).widen;
  let widened = widen === undefined;
  let pipeBytes: number | undefined;
  const observe = (chunk: Buffer) => {
    triage?.observe(chunk);
    if (widened || !(triage?.pastNotes() ?? true)) return;
    widened = true;
    pipeBytes = widen!();
  };
  const core = coreSource(stdin, config.ignoreRlimit ? undefined : args.rlimitCore, gcPacer(GC_EVERY_BYTES), observe, config.maxCoreBytes, release, () => triage?.coreSize(), releaseFile);
  return { core, heldInMemory: releaseFile ? 0 : release, pipeBytes: () => pipeBytes };
}

/**
 * Streams the dump. Never throws. When `deadline` (COMP_TIMEOUT) fires, the dump is finished, not
 * thrown away: the core is cut where it is, and the sink puts what the store has not confirmed on
 * disk. `signal` (the last resort, well after the deadline) tears every stage down.
 */
export async function streamDump(ctx: CrashContext, config: Config, log: Logger, stdin: Readable, opened: OpenedCore, deadline: AbortSignal, signal: AbortSignal, triage: DumpTriage): Promise<Streamed> {
  // The core flows first; the sink (SDK load + CreateMultipartUpload, or the spool file) opens
  // once the core is read or COMP_EARLY_BUFFER_MIB of zip is waiting (see sinks/deferred.ts).
  const { core } = opened;
  const sink = deferSink(() => openSink({ config, name: ctx.name, log, metadata: triage.metadata }), config.earlyBufferBytes, core.drained);
  const zip = createZipWriter({ threads: config.threads, blockBudgetBytes: config.memory.blockBudgetBytes });

  let failure: Error | undefined;
  const teardown = (e: unknown): Error => {
    failure ??= asError(e);
    core.stream.destroy(failure);
    stdin.destroy();
    zip.destroy(failure);
    return failure;
  };
  const onAbort = () => teardown(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const onDeadline = () => {
    log.warn({ event: 'DeadlineReached', code: codeOf(deadline.reason, 'CDC_TIMEOUT'), coreBytes: core.stats.bytes, drained: core.stats.drainedAt !== undefined }, 'COMP_TIMEOUT: finishing the dump with what was read, the unconfirmed rest to disk');
    core.cut('timeout');
    sink.hurry(asError(deadline.reason));
  };
  if (deadline.aborted) onDeadline();
  else deadline.addEventListener('abort', onDeadline, { once: true });
  const flow = pipeline(zip.output, sink.stream);
  watchPartLimit(zip, core, zipCutBytes(config, opened.heldInMemory), log); // a second 'data' listener, once piped: it only counts
  try {
    const [dumpInfo] = await Promise.all([writeZip(zip, ctx, opened, config, log, triage), flow]);
    return { ok: true, result: await sink.done, dumpInfo };
  } catch (e) {
    const err = teardown(e);
    await flow.catch(() => {});
    await sink.abort(err).catch((ae: unknown) =>
      log.error({ event: 'AbortFailed', code: codeOf(ae), err: describeError(ae) }, 'could not clean up after a failed dump'));
    return { ok: false, problem: problemOf(err) };
  } finally {
    signal.removeEventListener('abort', onAbort);
    deadline.removeEventListener('abort', onDeadline);
  }
}
