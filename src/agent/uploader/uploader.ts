// The spool uploader: one pass (a "sweep") uploads every due candidate in CORE_DIR, one file at a
// time. Single-flight: a sweep asked for while one runs is folded into one follow-up pass, so two
// passes never run at once and no file is ever uploaded twice concurrently.
import path from 'node:path';
import type { Logger } from '../../shared/log.ts';
import { codeOf, describeError } from '../../shared/errors.ts';
import type { AgentMetrics } from '../health/metrics.ts';
import type { RetryPolicy } from '../retry-policy.ts';
import { objectKey } from '../../shared/spool/index.ts';
import { singleFlight } from '../single-flight.ts';
import { scanSpool, type Candidate, type SpoolScan } from './scan.ts';
import type { SpoolStore } from './store.ts';

export type { CompletePartial } from './store.ts';
export type SpoolCheck = (dir: string) => Promise<{ ok: boolean; reason?: string }>;

export interface UploaderOptions {
  coreDir: string;
  /** S3 (store.ts s3SpoolStore) or Azure (azure-store.ts azureSpoolStore). */
  store: SpoolStore;
  keyPrefix: string;
  minFileAgeMs: number;
  log: Logger;
  metrics: AgentMetrics;
  retry: RetryPolicy;
  /** Disk-safety check of the spool (src/shared/spool-space.ts); reported, the composer enforces it. */
  spoolCheck?: SpoolCheck;
  /** Runs after each pass with what is still in the spool (the Kubernetes event records use it). */
  afterPass?: (scan: SpoolScan) => Promise<void>;
  /** Arm a timer for pending retries and young files (run mode); off for a one-off sweep. */
  followUp: boolean;
  now?: () => number;
}

export interface SweepResult {
  uploaded: number;
  failed: number;
  /** Candidates left for later: in backoff, or too young. */
  deferred: number;
}

export class Uploader {
  private readonly o: UploaderOptions;
  private readonly passes: () => Promise<SweepResult>;
  private current: Promise<SweepResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private overLimit = false;

  constructor(o: UploaderOptions) {
    this.o = o;
    this.passes = singleFlight(() => this.pass(), () => this.closed);
  }

  /** Starts a pass, or folds the request into the pass after the running one. */
  sweep(trigger = 'manual'): Promise<SweepResult> {
    this.o.metrics.sweeps.inc({ trigger });
    const run = this.passes();
    this.current = run;
    return run;
  }

  /** Waits for a running pass; no new ones start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current?.catch(() => undefined);
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  private async pass(): Promise<SweepResult> {
    const { o } = this;
    const result: SweepResult = { uploaded: 0, failed: 0, deferred: 0 };
    const scan = await scanSpool(o.coreDir);
    o.retry.retain(new Set(scan.candidates.map((c) => c.path)));
    let wakeIn: number | undefined;
    for (const c of scan.candidates) {
      if (this.closed) break;
      const age = this.now() - c.mtimeMs;
      if (age < o.minFileAgeMs) {
        result.deferred += 1;
        wakeIn = Math.min(wakeIn ?? Infinity, o.minFileAgeMs - age);
        continue;
      }
      if (!o.retry.due(c.path)) {
        result.deferred += 1;
        continue;
      }
      if (await this.attempt(c)) result.uploaded += 1;
      else result.failed += 1;
    }
    await this.report(result.uploaded > 0 ? await scanSpool(o.coreDir) : scan);
    const retryIn = o.retry.msUntilNextDue();
    if (retryIn !== undefined) wakeIn = Math.min(wakeIn ?? Infinity, retryIn);
    if (o.followUp && !this.closed && wakeIn !== undefined) this.arm(wakeIn);
    return result;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sweep('retry').catch(() => undefined), Math.max(10, ms));
  }

  private async attempt(c: Candidate): Promise<boolean> {
    const { o } = this;
    const key = objectKey(o.keyPrefix, c.name);
    const retry = o.retry.isRetry(c.path);
    if (retry) o.metrics.retried.inc();
    const started = this.now();
    o.log.info({ event: 'DumpUploadStarted', kind: c.kind, file: path.basename(c.path), key, bytes: c.size, retry }, 'uploading spooled dump');
    try {
      const bytes = c.kind === 'zip'
        ? await o.store.uploadZip(c.path, key, o.log)
        : (await o.store.completePartial(c.path, o.log)).bytes;
      o.retry.clear(c.path);
      await o.store.stored(c.name, o.log);
      o.metrics.uploaded.inc({ kind: c.kind });
      o.metrics.bytes.inc(bytes);
      o.metrics.lastSuccess.set(Date.now() / 1000);
      const ms = Math.max(1, this.now() - started);
      o.log.info({ event: 'DumpUploaded', kind: c.kind, store: o.store.kind, key, bytes, ms, mibPerSec: Math.round((bytes / 1048576 / (ms / 1000)) * 10) / 10 }, 'spooled dump stored and removed locally');
      return true;
    } catch (e) {
      const state = o.retry.failed(c.path, describeError(e));
      o.metrics.failed.inc({ kind: c.kind });
      const alert = state.failures >= o.retry.settings.alertAfterAttempts;
      const fields = { event: 'DumpUploadFailed', code: codeOf(e, 'CDC_UPLOAD_FAILED'), kind: c.kind, key, failures: state.failures, retryInMs: state.nextAttemptAt - this.now(), err: state.lastError };
      if (alert) o.log.error(fields, 'upload keeps failing; the dump stays on disk');
      else o.log.warn(fields, 'upload failed; will retry');
      return false;
    }
  }

  private async report(scan: SpoolScan): Promise<void> {
    const { o } = this;
    o.metrics.spoolFiles.set(scan.files);
    o.metrics.spoolBytes.set(scan.bytes);
    o.metrics.failing.set(o.retry.failingCount());
    if (o.spoolCheck) {
      const check = await o.spoolCheck(o.coreDir).catch((e) => ({ ok: true, reason: describeError(e) }));
      o.metrics.spoolOverLimit.set(check.ok ? 0 : 1);
      // Logged on change only: a full spool must be visible without flooding the log every pass.
      if (!check.ok && !this.overLimit) o.log.error({ event: 'SpoolOverLimit', code: 'CDC_SPOOL_FULL', reason: check.reason }, 'spool over its limits; new dumps are refused');
      if (check.ok && this.overLimit) o.log.info({ event: 'SpoolBackUnderLimit' }, 'spool back under its limits');
      this.overLimit = !check.ok;
    }
    if (o.afterPass) await o.afterPass(scan).catch((e) => o.log.warn({ event: 'AfterPassFailed', code: 'CDC_EVENT_FAILED', err: describeError(e) }, 'event records not processed'));
  }
}
