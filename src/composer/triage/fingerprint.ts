// The crash's fingerprint: the same crash has the same one across ASLR, restarts and nodes; another
// crash site has another. Hashed: the executable (its build-id, else its file name), the signal, and
// the top frames as module file name + offset from the module's base (addresses move with ASLR,
// offsets do not; file names, unlike library build-ids, do not change with a node's distribution).
import { createHash } from 'node:crypto';
import path from 'node:path';

export const FINGERPRINT_FRAMES = 5;

export interface FrameSite { readonly module: string | undefined; readonly offset: number }

/** "libfoo.so+0x1a2b", or "?" for code outside any mapped file (JIT, vdso). */
export function siteName(f: FrameSite): string {
  return f.module === undefined ? '?' : `${path.basename(f.module)}+0x${f.offset.toString(16)}`;
}

export function fingerprintInput(exe: string, signal: number | undefined, frames: readonly FrameSite[]): string[] {
  return [exe, String(signal ?? '?'), ...frames.slice(0, FINGERPRINT_FRAMES).map(siteName)];
}

/** 16 hex digits (64 bits): short enough for an Event message and S3 metadata. */
export function fingerprint(input: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
}
