// The partial-upload manifest on disk (names.ts has its shape): written atomically by the composer,
// read by the agent through a checked descriptor, then checked field by field, since the file
// comes from a directory anyone with a hostPath mount could write to.
import { CdcError, describeError } from '../errors.ts';
import { fixedSchedule, partBytes, partsFor, scheduleProblem, type PartSchedule } from '../part-schedule.ts';
import { readRegularText, writeFileAtomic } from './files.ts';
import type { PartialUploadManifest } from './names.ts';

/** A manifest is a few KiB even at 10,000 parts; anything far larger is not ours. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function invalid(where: string, why: string, cause?: unknown): CdcError {
  return new CdcError('CDC_MANIFEST_INVALID', `${where}: ${why}`, undefined, cause ? { cause } : undefined);
}

/** Parses and checks a manifest's text; throws CDC_MANIFEST_INVALID naming `where` and the reason. */
export function parseManifest(text: string, where: string): PartialUploadManifest {
  let m: PartialUploadManifest;
  try {
    m = JSON.parse(text) as PartialUploadManifest;
  } catch (e) {
    throw invalid(where, `unreadable: ${describeError(e)}`, e);
  }
  const isStr = (v: unknown) => typeof v === 'string' && v.length > 0;
  const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (m?.version !== 1) throw invalid(where, `unknown version ${String(m?.version)}`);
  if (m.store !== undefined && m.store !== 'azure') throw invalid(where, `unknown store ${JSON.stringify(m.store)}`);
  if (!isStr(m.bucket) || !isStr(m.key) || !isStr(m.uploadId)) throw invalid(where, 'bucket, key or uploadId missing');
  if (!isStr(m.restFile) || m.restFile.includes('/') || m.restFile.startsWith('.')) throw invalid(where, 'restFile must be a bare file name');
  if (m.schedule !== undefined && (typeof m.schedule !== 'object' || m.schedule === null)) throw invalid(where, 'schedule malformed');
  const s = manifestSchedule(m);
  const bad = scheduleProblem(s);
  if (bad) throw invalid(where, `part schedule: ${bad}`);
  if (!isInt(m.restBytes) || !Array.isArray(m.parts)) throw invalid(where, 'restBytes or parts missing');
  m.parts.forEach((p, i) => {
    if (p?.partNumber !== i + 1 || !isStr(p.etag) || !isInt(p.size)) throw invalid(where, `part ${i + 1} malformed`);
    // Only the object's last part may be short; with rest bytes to follow, every part is the
    // schedule's size, so the rest continues the same cuts.
    if (p.size !== partBytes(s, i + 1) && (m.restBytes > 0 || i < m.parts.length - 1)) throw invalid(where, `part ${i + 1} is not the schedule's size`);
  });
  const restParts = m.restBytes > 0 || m.parts.length === 0 ? partsFor(s, m.restBytes, m.parts.length + 1) : 0;
  if (m.parts.length + restParts > s.maxParts) throw invalid(where, 'too many parts');
  return m;
}

/** The part sizes a manifest's upload follows; a manifest without `schedule` had fixed parts. */
export function manifestSchedule(m: PartialUploadManifest): PartSchedule {
  return m.schedule === undefined ? fixedSchedule(m.partSize) : { firstBytes: m.partSize, maxBytes: m.schedule.maxBytes, maxParts: m.schedule.maxParts };
}

export { invalid as manifestInvalid };

/** Written last, after the rest file is whole: its presence says the upload can be completed. */
export function writeManifest(manifestPath: string, m: PartialUploadManifest): Promise<void> {
  return writeFileAtomic(manifestPath, `${JSON.stringify(m, null, 2)}\n`);
}

/** Reads and checks a manifest; throws CDC_MANIFEST_INVALID with the reason. */
export async function readManifest(manifestPath: string): Promise<PartialUploadManifest> {
  let text: string;
  try {
    text = (await readRegularText(manifestPath, MAX_MANIFEST_BYTES)).text;
  } catch (e) {
    throw invalid(manifestPath, `unreadable: ${describeError(e)}`, e);
  }
  return parseManifest(text, manifestPath);
}
