// The zip byte stream. Producers await write(), which resolves only when the consumer has room,
// so an unread output stops the whole writer instead of buffering the core in memory.
import { Readable } from 'node:stream';

const HIGH_WATER_MARK = 1 << 20;

export class ZipOutput {
  readonly readable: Readable;
  bytes = 0;
  #waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #failure: Error | undefined;
  #ended = false;

  constructor() {
    this.readable = new Readable({
      highWaterMark: HIGH_WATER_MARK,
      read: () => this.#wake(),
      destroy: (err, cb) => {
        // Destroyed by us or by the consumer: every waiting producer must fail, none may hang.
        if (!this.#ended) this.#fail(err ?? new Error('zip output was closed before the zip was finished'));
        cb(err);
      },
    });
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  write(buf: Buffer): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.reject(new Error('zip output already ended'));
    if (buf.length === 0) return Promise.resolve();
    this.bytes += buf.length;
    if (this.readable.push(buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  end(): void {
    if (this.#failure || this.#ended) return;
    this.#ended = true;
    this.readable.push(null);
  }

  destroy(err: Error): void {
    this.#fail(err);
    this.readable.destroy(err);
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve();
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(err);
  }
}
