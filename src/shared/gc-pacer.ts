// Keeps memory flat while gigabytes stream through (the composer's core, the agent's uploads of
// spooled zips). Every chunk becomes short-lived Buffers (reads, compressed blocks, parts); V8 frees their memory only
// after a collection, which it schedules late for memory held outside its heap. A young-generation
// collection every few MiB of core costs well under a millisecond and keeps that backlog small.
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFn = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: GcFn | undefined;
let tried = false;
function loadGc(): GcFn | undefined {
  if (tried) return gc;
  tried = true;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as GcFn;
  } catch {
    gc = undefined; // not fatal: memory is then only bounded by V8's own pacing
  }
  return gc;
}

/** Bytes between young-generation collections: a few MiB, so the backlog stays small. */
export const GC_EVERY_BYTES = 8 << 20;

/**
 * Every this many young collections, a full one (started, then finished in steps between tasks).
 * What survives a young collection (each part's S3 request and its promises, ~48 KiB) piles up in
 * the old generation until V8 decides to collect it: a stored 4 GiB core grew from 118 to 146 MiB
 * of peak RSS that way, and stays at 123-125 MiB with a full collection every 256 MiB.
 */
const MAJOR_EVERY = 32;

/**
 * Returns a counter to call with each chunk's size; collects every `everyBytes`. The gc function
 * (a new V8 context, a few ms) is made only when first needed: small cores never pay for it.
 */
export function gcPacer(everyBytes: number): (bytes: number) => void {
  let since = 0;
  let collections = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    collections++;
    loadGc()?.(collections % MAJOR_EVERY === 0 ? { type: 'major', execution: 'async' } : { type: 'minor' });
  };
}

/**
 * Gives a buffer's memory back now rather than at some later collection (ArrayBuffer transfer
 * detaches it: every view of it becomes empty). Only for a buffer the caller allocated whole and
 * that nothing reads any more; anything else (a view into a larger buffer) is left to the GC.
 */
export function freeNow(buf: Buffer): void {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length && buf.length > 0) detach(buf.buffer);
}

/** Frees an ArrayBuffer's memory now: transfer detaches it, and every view of it becomes empty. */
function detach(ab: ArrayBufferLike): void {
  const b = ab as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer; detached?: boolean };
  if (typeof b.transfer === 'function' && !b.detached) b.transfer(0);
}

// Buffers handed on whose owner wants them back (stdin blocks, to read into again) or freed
// (compressed blocks: ~40% of the core's size in fresh buffers, and V8 starts a full collection
// for every 64 MiB of them) as soon as every piece of them has been copied into a part, rather than
// at a later collection.
const uncopied = new WeakMap<ArrayBufferLike, { views: number; then: () => void }>();

/** Once each of `pieces` has been through copied(), `then` runs (default: their buffers are freed). */
export function whenCopied(pieces: readonly Buffer[], then?: () => void): void {
  for (const p of pieces) {
    const ab = p.buffer;
    const e = uncopied.get(ab);
    if (e) e.views++;
    else uncopied.set(ab, { views: 1, then: then ?? (() => detach(ab)) });
  }
}

/**
 * A piece whose bytes the caller has copied whole. Its owner's `then` runs after the current task,
 * so listeners of the same 'data' event (which only read lengths) still see the piece.
 */
export function copied(piece: Buffer): void {
  const e = uncopied.get(piece.buffer);
  if (!e) return;
  if (--e.views > 0) return;
  uncopied.delete(piece.buffer);
  queueMicrotask(e.then);
}
