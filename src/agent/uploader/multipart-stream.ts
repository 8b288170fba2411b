// A Writable that uploads everything written to it as one new object: the agent's upload of a
// spooled zip. Built on the shared part uploader (it reuses its part buffers, so a 1 GiB zip costs
// about partSize x concurrency of memory, parts growing as the schedule says); on any failure, or
// destroy(), the upload is aborted.
import { Writable } from 'node:stream';
import type { Logger } from '../../shared/log.ts';
import { abortUpload, completeUpload, createUpload, s3PartSender, type UploadTarget } from '../../shared/s3-commands.ts';
import { PartUploader } from '../../shared/part-uploader.ts';
import { GC_EVERY_BYTES, gcPacer } from '../../shared/gc-pacer.ts';
import type { PartSchedule } from '../../shared/part-schedule.ts';

export interface MultipartWriteStreamOptions extends UploadTarget {
  schedule: PartSchedule;
  concurrency: number;
  log: Logger;
}

/** `result` settles at the end with what S3 holds. */
export class MultipartWriteStream extends Writable {
  readonly result: Promise<{ bucket: string; key: string; bytes: number; etag: string }>;
  readonly #o: MultipartWriteStreamOptions;
  readonly #ac = new AbortController();
  #uploadId: string | null = null;
  #uploader: PartUploader | null = null;
  // A 4 GiB zip read in 1 MiB chunks: collected as it goes, so the agent fits the original's 128Mi limit.
  readonly #pace = gcPacer(GC_EVERY_BYTES);
  #completed = false;
  #settle!: { resolve: (v: { bucket: string; key: string; bytes: number; etag: string }) => void; reject: (e: Error) => void };

  constructor(o: MultipartWriteStreamOptions) {
    super({ highWaterMark: 1024 * 1024 });
    this.#o = o;
    this.result = new Promise((resolve, reject) => { this.#settle = { resolve, reject }; });
    this.result.catch(() => {}); // the caller may only watch the stream's 'error'
  }

  async #start(): Promise<PartUploader> {
    if (this.#uploader) return this.#uploader;
    const o = this.#o;
    this.#uploadId = await createUpload(o, this.#ac.signal);
    o.log.info({ event: 'UploadStarted', bucket: o.bucket, key: o.key, firstPartSize: o.schedule.firstBytes, maxPartSize: o.schedule.maxBytes, concurrency: o.concurrency }, 'UploadStarted');
    this.#uploader = new PartUploader({ ...o, send: s3PartSender(o, this.#uploadId), signal: this.#ac.signal });
    return this.#uploader;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#pace(chunk.length);
    this.#start()
      .then((u) => u.write(chunk))
      .then((ok) => cb(ok ? null : this.#uploader!.failure), (e: Error) => cb(e));
  }

  override _final(cb: (e?: Error | null) => void): void {
    (async () => {
      const u = await this.#start();
      if (!(await u.flush())) throw u.failure!;
      const { etag, bytes } = await completeUpload(this.#o, this.#uploadId!, u.parts(), this.#ac.signal);
      this.#completed = true;
      this.#o.log.info({ event: 'UploadCompleted', bucket: this.#o.bucket, key: this.#o.key, bytes }, 'UploadCompleted');
      this.#settle.resolve({ bucket: this.#o.bucket, key: this.#o.key, bytes, etag });
    })().then(() => cb(), (e: Error) => cb(e));
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.#completed) { cb(err); return; }
    this.#ac.abort();
    const reason = err ?? new Error('upload stream destroyed before its end');
    const id = this.#uploadId;
    (id ? abortUpload(this.#o, id, this.#o.log) : Promise.resolve(true)).then(() => {
      this.#settle.reject(reason);
      cb(err);
    });
  }
}
