// How big each part of a multipart upload is: small parts for small dumps (memory stays low),
// doubling every tenth of the store's part limit, up to a largest part the memory setting allows.
// One pure function of the part number, so the composer, the agent and the manifest check agree
// on every cut, and the capacity of an upload is known before its first byte: a dump that would
// not fit is cut at a chosen point (dump-info says so), never failed at part 10,001.
import { MAX_PARTS, MAX_PART_BYTES, MIN_PART_BYTES } from './s3-limits.ts';

export interface PartSchedule {
  /** The size of the first parts (COMP_PART_SIZE_MIB, or derived from COMP_MEMORY_MIB). */
  readonly firstBytes: number;
  /** Parts never grow beyond this (derived from COMP_MEMORY_MIB; at most S3's 5 GiB). */
  readonly maxBytes: number;
  /** The store's part limit (S3_MAX_PARTS). */
  readonly maxParts: number;
}

/** Parts per size step: a tenth of the part limit, so ten doublings fit (8 MiB -> 4 GiB). */
export function stepParts(s: PartSchedule): number {
  return Math.max(1, Math.floor(s.maxParts / 10));
}

/** The size of part `n` (1-based). Every part but the object's last has exactly this size. */
export function partBytes(s: PartSchedule, n: number): number {
  const doublings = Math.min(30, Math.floor((n - 1) / stepParts(s)));
  return Math.min(s.maxBytes, s.firstBytes * 2 ** doublings);
}

/** The largest object the schedule can hold in `maxParts` parts. */
export function capacityBytes(s: PartSchedule): number {
  let total = 0;
  const step = stepParts(s);
  for (let n = 1; n <= s.maxParts; n += step) total += partBytes(s, n) * Math.min(step, s.maxParts - n + 1);
  return total;
}

/**
 * How many parts of the schedule, from part `first` on, hold `bytes` (an empty object still needs
 * one). Counts no further than the part limit: more than `s.maxParts - first + 1` means no fit.
 */
export function partsFor(s: PartSchedule, bytes: number, first = 1): number {
  let n = first;
  let left = bytes;
  do { left -= partBytes(s, n); n++; } while (left > 0 && n <= s.maxParts + 1);
  return n - first;
}

/** A schedule of one fixed part size (manifests written before parts grew). */
export function fixedSchedule(partSize: number, maxParts = MAX_PARTS): PartSchedule {
  return { firstBytes: partSize, maxBytes: partSize, maxParts };
}

/** Checks a schedule's figures against S3's limits; returns why it is unusable, or undefined. */
export function scheduleProblem(s: PartSchedule): string | undefined {
  const ok = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!ok(s.firstBytes) || !ok(s.maxBytes) || !ok(s.maxParts)) return 'part sizes and count must be positive whole numbers';
  if (s.firstBytes < MIN_PART_BYTES) return `first part ${s.firstBytes} under the S3 minimum ${MIN_PART_BYTES}`;
  if (s.maxBytes < s.firstBytes || s.maxBytes > MAX_PART_BYTES) return `largest part ${s.maxBytes} outside ${s.firstBytes}..${MAX_PART_BYTES}`;
  if (s.maxParts > MAX_PARTS) return `more than ${MAX_PARTS} parts`;
  return undefined;
}
