// One crash, start to finish: proc facts and CRI metadata while the crashed process still exists,
// then stdin -> zip (metadata entries, the core, dump-info) -> sink (S3 multipart or spool).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Readable } from 'node:stream';
import type { Logger } from '../shared/log.ts';
import type { Config } from '../shared/config.ts';
import { CdcError, describeError } from '../shared/errors.ts';
import type { KernelArgs } from './args.ts';
import { readProcFacts, type ProcFacts } from './proc.ts';
import { renderName } from './template.ts';
import { buildDumpInfo } from './dump-info.ts';
import { coreSource } from './core-source.ts';
import { gcPacer } from './gc-pacer.ts';

/** Core bytes between young-generation collections (see gc-pacer.ts). */
const GC_EVERY_BYTES = 8 << 20;
import { writeAgentRecord, writeCoreEvent } from './notify.ts';
import { createZipWriter } from './zip/index.ts';
import { openSink, type SinkResult } from './sinks/index.ts';
import { deferSink } from './sinks/deferred.ts';
import { lookupCrash, type CrashMetadata } from '../cri/index.ts';
import { criSettings } from './cri-settings.ts';
import { metadataEntries, podSelected } from './entries.ts';

export interface ComposeInput {
  readonly args: KernelArgs;
  readonly config: Config;
  readonly log: Logger;
  readonly stdin: Readable;
  readonly signal: AbortSignal;
  readonly startedAt: number; // performance.now() at process start
}

export type ComposeOutcome = 'stored' | 'spooled' | 'partial' | 'skipped' | 'aborted' | 'failed';

export interface ComposeResult {
  readonly outcome: ComposeOutcome;
  readonly name: string | undefined;
  readonly sink?: SinkResult;
  readonly dumpInfo?: Record<string, unknown>;
  readonly error?: string;
}

async function crashMetadata(proc: ProcFacts | undefined, config: Config, log: Logger): Promise<CrashMetadata | undefined> {
  if (proc?.cgroup === undefined) return undefined;
  try {
    // Each CRI call gets COMP_CRI_TIMEOUT_MS; the whole lookup (a few calls, plus loading the gRPC
    // client) at most three times that.
    return await lookupCrash({ cgroup: proc.cgroup, settings: criSettings(config), log, deadlineMs: 3 * config.criTimeoutMs });
  } catch (e) {
    log.warn({ event: 'CrashLookupFailed', code: 'CDC_CRI_FAILED', err: describeError(e) }, 'metadata lookup failed; dumping without pod fields');
    return undefined;
  }
}

export async function compose(input: ComposeInput): Promise<ComposeResult> {
  const { args, config, log, stdin, signal } = input;
  const ms = () => Math.round(performance.now() - input.startedAt);

  // RLIMIT_CORE: the kernel pipes the whole core whatever the limit; honour it here.
  if (args.rlimitCore === 0n && !config.ignoreRlimit) {
    stdin.destroy();
    log.info({ event: 'DumpSkipped', code: 'CDC_RLIMIT_ZERO' }, 'RLIMIT_CORE is 0: no dump taken');
    return { outcome: 'skipped', name: undefined };
  }

  // 1. Everything that needs the crashed process, before a single byte of stdin is read.
  const pid = args.globalPid ?? args.pid;
  const proc = pid === undefined ? undefined : readProcFacts({ pid, pidfd: args.pidfd, includeProcInfo: config.includeProcInfo });
  if (proc?.problems.length) log.info({ event: 'ProcPartlyRead', problems: proc.problems.slice(0, 10) }, 'some /proc facts missing');
  const meta = await crashMetadata(proc, config, log);
  log.info({ event: 'MetadataCollected', ms: ms(), container: meta?.container, pod: meta?.pod?.name, hostCrash: meta?.hostCrash }, 'metadata collected');
  if (!podSelected(meta, config.podSelectorLabel)) {
    stdin.destroy();
    log.info({ event: 'DumpSkipped', pod: meta?.pod?.name, label: config.podSelectorLabel }, 'pod lacks COMP_POD_SELECTOR_LABEL: no dump taken');
    return { outcome: 'skipped', name: undefined };
  }

  // 2. The name, from the template, every value made path- and key-safe.
  const uuid = randomUUID();
  const rendered = renderName(config.filenameTemplate, {
    uuid, timestamp: args.timestamp ?? Math.floor(Date.now() / 1000), hostname: args.hostname ?? os.hostname(),
    exe_name: args.exeName ?? proc?.comm, pid: args.pid, signal: args.signal, limit_size: args.rlimitCoreRaw,
    pathname: args.pathname, namespace: meta?.pod?.namespace, podname: meta?.pod?.name, container: meta?.container,
  }, uuid);
  const name = rendered.name;
  if (rendered.problems.length) log.warn({ event: 'TemplateProblem', problems: rendered.problems }, 'filename template problem');

  // 3. Stream: zip -> sink. Any failure tears both down; the sink never leaves a zip that looks whole.
  // The core flows first; the sink (SDK load + CreateMultipartUpload, or the spool file) opens
  // once the core is read or COMP_EARLY_BUFFER_MIB of zip is waiting (see sinks/deferred.ts).
  const core = coreSource(stdin, config.ignoreRlimit ? undefined : args.rlimitCore, gcPacer(GC_EVERY_BYTES));
  const sink = deferSink(() => openSink({ config, name, log }), config.earlyBufferBytes, core.drained);
  const zip = createZipWriter();
  zip.output.pipe(sink.stream);
  zip.output.once('error', (e) => sink.stream.destroy(e));
  sink.stream.once('error', (e) => zip.destroy(e));
  const onAbort = () => {
    const err = new CdcError('CDC_TIMEOUT', `after ${config.timeoutSec}s`);
    core.stream.destroy(err);
    stdin.destroy();
    zip.destroy(err);
  };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const mtime = args.timestamp ? new Date(args.timestamp * 1000) : new Date();
    for (const e of metadataEntries(name, meta)) await zip.addBuffer(e.name, e.data, { codec: 'deflate', level: 6, mtime });
    for (const [file, data] of Object.entries(proc?.files ?? {})) await zip.addBuffer(`${name}-proc-${file}`, data, { codec: 'deflate', level: 6, mtime });
    const entryName = config.codec === 'zstd' ? `${name}.core.zst` : `${name}.core`;
    const stats = await zip.addStream(entryName, core.stream, { codec: config.codec, level: config.compressionLevel, mtime });
    log.info({ event: 'CoreDrained', bytes: core.stats.bytes, truncated: core.stats.truncated, heldMs: Math.round((core.stats.drainedAt ?? performance.now()) - input.startedAt) }, 'core read from the kernel');
    const dumpInfo = buildDumpInfo({
      uuid, name, args, proc, meta, nodeHostname: os.hostname(),
      core: {
        entryName, coreBytes: core.stats.bytes, storedBytes: stats.storedBytes, crc32: stats.crc32, truncated: core.stats.truncated,
        codec: config.codec, level: config.compressionLevel,
        stdinDrainedMs: Math.round((core.stats.drainedAt ?? performance.now()) - input.startedAt),
      },
    });
    await zip.addBuffer(`${name}-dump-info.json`, Buffer.from(JSON.stringify(dumpInfo, null, 2)), { codec: 'deflate', level: 6, mtime });
    await zip.finish();
    const result = await sink.done;
    signal.removeEventListener('abort', onAbort);
    afterStored(config, log, name, uuid, result, meta, args);
    const outcome: ComposeOutcome = result.kind === 's3' ? 'stored' : result.kind === 'spool' ? 'spooled' : 'partial';
    return { outcome, name, sink: result, dumpInfo };
  } catch (e) {
    signal.removeEventListener('abort', onAbort);
    const err = signal.aborted ? new CdcError('CDC_TIMEOUT', `after ${config.timeoutSec}s`) : e;
    zip.destroy(err instanceof Error ? err : new Error(String(err)));
    stdin.destroy();
    await sink.abort(err instanceof Error ? err : new Error(String(err))).catch((ae: unknown) =>
      log.error({ event: 'AbortFailed', err: describeError(ae) }, 'could not clean up after a failed dump'));
    return { outcome: signal.aborted ? 'aborted' : 'failed', name, error: describeError(err) };
  }
}

function afterStored(config: Config, log: Logger, name: string, uuid: string, result: SinkResult, meta: CrashMetadata | undefined, args: KernelArgs): void {
  try {
    writeAgentRecord(config.eventDir, name, result, meta, args);
  } catch (e) {
    log.warn({ event: 'AgentRecordFailed', err: describeError(e) }, 'could not tell the agent about the dump');
  }
  if (!config.coreEvents) return;
  try {
    writeCoreEvent(config.coreEventDir, uuid, `${name}.zip`, meta, args);
  } catch (e) {
    log.warn({ event: 'CoreEventFailed', err: describeError(e) }, 'could not write the core event file');
  }
}
