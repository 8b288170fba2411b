// COMP_MEMORY_MIB, the one memory setting: the composer's buffers (parts held for S3, compression
// blocks in flight) are derived from it, so a user sets one number instead of balancing several.
// Node and the bundle (about 90 MiB of peak RSS, ~46 MiB of it the binary's shared code pages)
// come on top. COMP_PART_SIZE_MIB and
// COMP_UPLOAD_CONCURRENCY still work, as overrides of what is derived here.
import { MAX_PART_BYTES, MIN_PART_BYTES } from './s3-limits.ts';
import type { PartSchedule } from './part-schedule.ts';

const MiB = 1024 * 1024;
const wholeMiB = (bytes: number) => Math.floor(bytes / MiB) * MiB;

/**
 * 32 MiB: peak RSS 119-125 MiB on the bench's 1 GiB cores for every codec (64: 123-149 MiB), with
 * the store and deflate targets still met; a 113 GiB zip in 10,000 parts (a 96 GiB core stored),
 * README "Large cores". 64 doubles that for 25-30 MiB more RSS.
 */
export const DEFAULT_MEMORY_MIB = 32;
export const DEFAULT_FIRST_PART_MIB = 8;
export const DEFAULT_UPLOAD_CONCURRENCY = 4;
/** COMP_RELEASE_BUFFER_MIB's default: on disk (release-file.ts), so not taken from COMP_MEMORY_MIB. */
export const DEFAULT_RELEASE_BUFFER_MIB = 256;

export interface MemoryPlan {
  readonly memoryBytes: number;
  /**
   * COMP_RELEASE_BUFFER_MIB: core bytes read ahead before the compressor starts, into a file in
   * CORE_DIR. Where no file can be had it stays in memory, and then borrows at most all of the
   * memory setting (releaseInMemory): it is filled once, before any part or block exists, and
   * drains as they fill.
   */
  readonly releaseBufferBytes: number;
  /** Part buffers, in flight or being filled, stay within this. */
  readonly partBudgetBytes: number;
  /** Compression blocks (input and output) in flight stay within this. */
  readonly blockBudgetBytes: number;
  readonly schedule: PartSchedule;
  /** Parts in flight at most (while parts are small). */
  readonly uploadConcurrency: number;
}

export interface MemoryOverrides {
  readonly partSizeMiB?: number | undefined;
  readonly uploadConcurrency?: number | undefined;
  readonly releaseBufferMiB?: number | undefined;
  /** The core is stored (COMP_CODEC=store or COMP_COMPRESSION=false): no compression blocks, so all of the memory goes to parts. */
  readonly stored?: boolean | undefined;
}

/**
 * A quarter of the memory for compression blocks (none when the core is stored), the rest for
 * parts. The largest part is half of those three quarters for a compressed core, a third of all of
 * it for a stored one; parts double from the first up to it. The release buffer is apart from the
 * setting (see MemoryPlan).
 */
export function planMemory(memoryMiB: number, maxParts: number, o: MemoryOverrides = {}): MemoryPlan {
  const memoryBytes = memoryMiB * MiB;
  const releaseBufferBytes = (o.releaseBufferMiB ?? DEFAULT_RELEASE_BUFFER_MIB) * MiB;
  const rest = memoryBytes;
  const blockShare = Math.max(4 * MiB, Math.floor(rest / 4));
  const partsBesideBlocks = Math.max(2 * MIN_PART_BYTES, rest - blockShare);
  const blockBudgetBytes = o.stored ? 0 : blockShare;
  const uploadConcurrency = o.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
  let partBudgetBytes = o.stored ? Math.max(2 * MIN_PART_BYTES, rest) : partsBesideBlocks;
  const firstBytes = o.partSizeMiB !== undefined
    ? o.partSizeMiB * MiB
    : Math.max(MIN_PART_BYTES, Math.min(DEFAULT_FIRST_PART_MIB * MiB, wholeMiB(partBudgetBytes / 2)));
  // An explicit part size and concurrency are honoured even where they exceed the budget.
  if (o.partSizeMiB !== undefined && o.uploadConcurrency !== undefined) partBudgetBytes = Math.max(partBudgetBytes, firstBytes * (uploadConcurrency + 1));
  // Part buffers held at the largest part, in flight plus the one filling. A compressed core's pace
  // is its compressor's: one uploads while one fills. A stored core's pace is the upload's: two
  // upload while one fills (README "Large cores" has the figures).
  const buffersAtLargest = o.stored ? 3 : 2;
  const maxBytes = Math.min(MAX_PART_BYTES, Math.max(firstBytes, wholeMiB(partBudgetBytes / buffersAtLargest)));
  return { memoryBytes, releaseBufferBytes, partBudgetBytes, blockBudgetBytes, schedule: { firstBytes, maxBytes, maxParts }, uploadConcurrency };
}

/** The release buffer when it must be held in memory: at most all of the memory setting. */
export function releaseInMemory(plan: MemoryPlan): number {
  return Math.min(plan.releaseBufferBytes, plan.memoryBytes);
}

/** Parts of `partSize` that may be in flight within `budgetBytes`, one more being filled. */
export function partsInFlight(budgetBytes: number, partSize: number, concurrency: number): number {
  return Math.max(1, Math.min(concurrency, Math.floor(budgetBytes / partSize) - 1));
}

/** Compression blocks in flight: enough to keep `threads` busy, within the block budget. */
export function blocksInFlight(blockBudgetBytes: number, blockSize: number, threads: number): number {
  // Two per thread keep each busy while the oldest is emitted; a block in flight holds its input and
  // its output (at most about as large): 2 x blockSize.
  return Math.max(2, Math.min(2 * threads + 2, Math.floor(blockBudgetBytes / (2 * blockSize))));
}
