// Cuts a byte stream into parts and uploads them with bounded concurrency: the one part loop of
// both stores (S3 UploadPart, Azure Put Block: the `send` given). Our own, not @aws-sdk/lib-storage: when S3 fails half way we must know the
// upload id, which parts S3 confirmed, and still hold every byte it did not confirm, so the rest of
// a dump can be spooled and the upload finished later by the agent.
//
// Part sizes follow the schedule (part-schedule.ts): they grow with the upload. Memory: the part
// buffers held (uploading, or uploaded but waiting for an earlier part) plus the one being filled
// stay within `budgetBytes`: as parts grow, fewer are in flight (never fewer than one).
import { createHash } from 'node:crypto';
import type { Logger } from './log.ts';
import { CdcError, describeError } from './errors.ts';
import { partBytes, scheduleProblem, type PartSchedule } from './part-schedule.ts';
import { partsInFlight } from './memory-plan.ts';
import { copied, freeNow } from './gc-pacer.ts';
import { mallocTrim } from './libc.ts';
import { totalBytes } from './buffers.ts';
import type { UploadedPart } from './spool/names.ts';

/**
 * Sends one part and resolves with the store's receipt: S3's ETag, or the Azure block id (the
 * Azure sink stages blocks through this same loop, so both stores share its memory bound).
 */
export type PartSender = (partNumber: number, body: Buffer, signal: AbortSignal) => Promise<string>;

export interface PartUploaderOptions {
  /** s3-commands.ts s3PartSender for S3 (UploadPart), azure-blob.ts blockSender for Azure. */
  send: PartSender;
  schedule: PartSchedule;
  /** Parts in flight at most. */
  concurrency: number;
  /** Part buffers held at most, in bytes; default: the first part size x (concurrency + 1). */
  budgetBytes?: number;
  log: Logger;
  /** 1 for a new upload; later numbers when continuing one. */
  firstPartNumber?: number;
  /**
   * Parts S3 already holds for this upload (continuing one after a crash): a part with the same
   * number, size and MD5 is confirmed without being sent again.
   */
  alreadyUploaded?: ReadonlyMap<number, { etag: string; size: number }>;
  signal?: AbortSignal;
  /**
   * A store that stops answering is a failure after this long without a confirmed part (while
   * parts are in flight), not after every part's own timeouts: the caller then spools the rest.
   */
  progressTimeoutMs?: number;
}

const md5Etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;
/** ETags compare without their quotes (S3 quotes them; listings may not). */
export const sameEtag = (a: string | undefined, b: string) => (a ?? '').replace(/"/g, '') === b.replace(/"/g, '');

/** What S3 has not confirmed after a failure: the data after the last contiguous confirmed part. */
export interface Unconfirmed {
  /** Contiguous confirmed parts from the first part number; each the schedule's size. */
  parts: UploadedPart[];
  confirmedBytes: number;
  /** The remaining bytes in stream order (views, not copies). */
  buffers: Buffer[];
  bytes: number;
  error: Error;
}

/**
 * Cuts a byte stream into parts and uploads them with bounded concurrency. It never throws on a
 * failed part: write()/flush() return false and unconfirmed() hands back what S3 does not have.
 * Calls to write() must not overlap (a Writable guarantees that).
 */
export class PartUploader {
  readonly #o: PartUploaderOptions;
  #cur: Buffer | null = null;
  #curLen = 0;
  #next: number;
  #prefixEnd: number; // last part number of the contiguous confirmed prefix
  readonly #held = new Map<number, Buffer>(); // sent, kept until the prefix passes them
  readonly #confirmed = new Map<number, UploadedPart>();
  readonly #inFlight = new Set<Promise<void>>();
  // Part buffers we allocated are reused once S3 confirmed them, so memory stays flat instead of
  // waiting for the GC to notice 8 MiB buffers (views of callers' chunks are never reused).
  readonly #owned = new WeakSet<Buffer>();
  readonly #free: Buffer[] = [];
  #spill: Buffer[] = []; // bytes taken after the failure, in order
  #failure: Error | null = null;
  // Aborts the parts in flight when the store stalls; the caller's signal aborts them too.
  readonly #stall = new AbortController();
  #stallTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | null = null;
  #total = 0;

  constructor(o: PartUploaderOptions) {
    const bad = scheduleProblem(o.schedule);
    if (bad) throw new Error(`part schedule: ${bad}`);
    this.#o = o;
    this.#next = o.firstPartNumber ?? 1;
    this.#prefixEnd = this.#next - 1;
  }

  get failure(): Error | null { return this.#failure; }
  /** Bytes accepted by write() so far. */
  get bytes(): number { return this.#total; }

  /** Takes a chunk; resolves when there is room for more. false: S3 failed, the chunk is kept. */
  async write(chunk: Buffer): Promise<boolean> {
    this.#total += chunk.length;
    if (this.#failure) { this.#spill.push(chunk); return false; }
    let off = 0;
    let viewed = false; // a part is a view of the chunk: its buffer must live on
    while (off < chunk.length) {
      const size = partBytes(this.#o.schedule, this.#next); // the part being filled
      let full: Buffer | null = null;
      if (this.#cur === null && chunk.length - off >= size) {
        full = chunk.subarray(off, off + size); // a whole part already: upload a view, no copy
        off += size;
        viewed = true;
      } else {
        if (this.#cur === null) {
          await this.#waitForBytes(size);
          if (this.#failure) { this.#spill.push(chunk.subarray(off)); return false; }
          this.#cur = this.#allocPart(size);
        }
        const n = chunk.copy(this.#cur, this.#curLen, off);
        this.#curLen += n;
        off += n;
        if (this.#curLen === size) { full = this.#cur; this.#cur = null; this.#curLen = 0; }
      }
      if (full === null) continue;
      await this.#waitForRoom(size);
      if (this.#failure) { this.#spill.push(full, chunk.subarray(off)); return false; }
      this.#send(full);
    }
    if (!viewed) copied(chunk); // every byte is in our parts now
    return true;
  }

  /**
   * Stops uploading: parts in flight are aborted, and every byte S3 has not confirmed is handed
   * back by unconfirmed(), as after any failure.
   */
  stop(reason: Error): void {
    this.#fail(reason);
    this.#stall.abort(reason);
  }

  /** Sends the last (short) part and waits for every part. true: all confirmed, see parts(). */
  async flush(): Promise<boolean> {
    const lastBuffer = this.#cur; // ours (allocPart); the last part is a view of it
    // S3 wants at least one part: a new upload with no bytes at all gets an empty one.
    if (!this.#failure && (this.#curLen > 0 || this.#next === 1)) {
      const last = (this.#cur ?? Buffer.alloc(0)).subarray(0, this.#curLen);
      this.#cur = null; this.#curLen = 0;
      this.#send(last);
    }
    await this.#settle();
    if (this.#failure) return false;
    // Every part is confirmed and no more will be filled: the buffers go back now, not after the
    // completion, summary and record, whose allocations came on top of them (a stored 16 GiB
    // core's peak RSS was set in its last 150 ms, 2.8 MiB over what it held while streaming).
    this.#dropFree();
    if (lastBuffer) freeNow(lastBuffer);
    return true;
  }

  /** All confirmed parts in order (after a successful flush()). */
  parts(): UploadedPart[] {
    return [...this.#confirmed.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  /** After a failure: waits for parts still in flight, then splits confirmed from unconfirmed bytes. */
  async unconfirmed(): Promise<Unconfirmed> {
    await this.#settle();
    const parts: UploadedPart[] = [];
    for (let n = (this.#o.firstPartNumber ?? 1); n <= this.#prefixEnd; n++) parts.push(this.#confirmed.get(n)!);
    const buffers = [...this.#held.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    if (this.#curLen > 0) buffers.push(this.#cur!.subarray(0, this.#curLen));
    buffers.push(...this.#spill.filter((b) => b.length > 0));
    this.#held.clear(); this.#spill = []; this.#cur = null; this.#curLen = 0;
    const confirmedBytes = parts.reduce((n, p) => n + p.size, 0);
    return {
      parts, confirmedBytes, buffers, bytes: totalBytes(buffers),
      error: this.#failure ?? new Error('no failure'),
    };
  }

  #allocPart(size: number): Buffer {
    const reused = this.#free.pop();
    if (reused?.length === size) return reused;
    this.#dropFree(); // parts grew: smaller buffers are of no further use
    const b = Buffer.allocUnsafe(size);
    this.#owned.add(b);
    return b;
  }

  /** Frees the confirmed buffers kept for reuse. */
  #dropFree(): void {
    this.#free.forEach(freeNow);
    this.#free.length = 0;
  }

  /** (Re)starts the progress deadline while parts are in flight; stops it when none are. */
  #watchProgress(): void {
    clearTimeout(this.#stallTimer);
    const ms = this.#o.progressTimeoutMs;
    if (ms === undefined || this.#inFlight.size === 0 || this.#failure) return;
    this.#stallTimer = setTimeout(() => {
      this.stop(new CdcError('CDC_S3_STALLED', `no part confirmed for ${ms} ms with ${this.#inFlight.size} in flight`));
    }, ms);
    this.#stallTimer.unref();
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    clearTimeout(this.#stallTimer);
    this.#wakeUp();
  }

  #wakeUp(): void { const w = this.#wake; this.#wake = null; w?.(); }

  #budget(): number {
    return this.#o.budgetBytes ?? this.#o.schedule.firstBytes * (this.#o.concurrency + 1);
  }

  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => { this.#wake = resolve; });
  }

  /** Before a part is sent: fewer parts in flight as parts grow. */
  async #waitForRoom(size: number): Promise<void> {
    const room = partsInFlight(this.#budget(), size, this.#o.concurrency);
    while (!this.#failure && this.#held.size >= room) await this.#sleep();
  }

  /**
   * Before a part buffer is allocated: what is held and the new buffer stay within the budget.
   * Only the first part of a larger size waits here (without it, three 8 MiB parts held and a new
   * 16 MiB buffer could make 40 MiB of a 32 MiB budget); one part held beside the one filling is
   * always allowed.
   */
  async #waitForBytes(size: number): Promise<void> {
    const budget = Math.max(this.#budget(), 2 * size);
    while (!this.#failure && this.#held.size > 0 && totalBytes([...this.#held.values()]) + size > budget) await this.#sleep();
  }

  async #settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #send(body: Buffer): void {
    const o = this.#o;
    const partNumber = this.#next++;
    this.#held.set(partNumber, body);
    if (partNumber > o.schedule.maxParts) {
      // The composer cuts the core well before this (see capacity in part-schedule.ts); only an
      // object larger than the schedule's capacity fed from elsewhere gets here.
      this.#fail(new CdcError('CDC_S3_PART_LIMIT', `part ${partNumber} is over S3_MAX_PARTS=${o.schedule.maxParts}`));
      return;
    }
    const started = Date.now();
    const size = body.length; // the buffer may be freed (emptied) once confirmed
    const have = o.alreadyUploaded?.get(partNumber);
    const abortSignal = o.signal ? AbortSignal.any([o.signal, this.#stall.signal]) : this.#stall.signal;
    const sent: Promise<string | undefined> = have && have.size === body.length && sameEtag(have.etag, md5Etag(body))
      ? Promise.resolve(have.etag)
      : o.send(partNumber, body, abortSignal);
    const p = sent
      .then((etag) => {
        if (!etag) throw new Error(`part ${partNumber}: the store returned no receipt`);
        this.#confirmed.set(partNumber, { partNumber, etag, size });
        // The first part has been through the whole request path (SDK, signing, HTTP), so the
        // start-up's churn is over: the free pages it left inside malloc's heap go back to the
        // kernel (1.3 ms measured, once; 1-2 MiB off a stored 1 GiB core's peak RSS, 4-5 without --max-opt=1).
        if (this.#confirmed.size === 1) mallocTrim();
        // Release buffers only once every earlier part is confirmed too: a failure must be able
        // to hand back everything after the contiguous prefix.
        while (this.#confirmed.has(this.#prefixEnd + 1)) {
          const done = this.#held.get(++this.#prefixEnd)!;
          this.#held.delete(this.#prefixEnd);
          if (!this.#owned.has(done)) continue; // a view of the caller's chunk: not ours to reuse
          if (done.length === partBytes(o.schedule, this.#next)) this.#free.push(done);
          else freeNow(done);
        }
        o.log.debug({ event: 'PartUploaded', partNumber, bytes: size, ms: Date.now() - started }, 'PartUploaded');
        this.#wakeUp();
      })
      .catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        o.log.warn({ event: 'PartUploadFailed', code: 'CDC_S3_PART_FAILED', partNumber, err: describeError(err) }, 'PartUploadFailed');
        this.#fail(err);
      })
      .finally(() => { this.#inFlight.delete(p); this.#watchProgress(); });
    const idle = this.#inFlight.size === 0;
    this.#inFlight.add(p);
    if (idle) this.#watchProgress(); // the clock starts when the store has something to answer
  }
}
