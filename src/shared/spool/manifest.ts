// The partial-upload manifest on disk (names.ts has its shape): written atomically by the composer,
// read by the agent through a checked descriptor, then checked field by field, since the file
// comes from a directory anyone with a hostPath mount could write to.
import { CdcError, describeError } from '../errors.ts';
import { MAX_PARTS, MIN_PART_BYTES } from '../s3-limits.ts';
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
  if (!isInt(m.partSize) || m.partSize < MIN_PART_BYTES) throw invalid(where, `partSize ${m.partSize} under ${MIN_PART_BYTES}`);
  if (!isInt(m.restBytes) || !Array.isArray(m.parts)) throw invalid(where, 'restBytes or parts missing');
  m.parts.forEach((p, i) => {
    if (p?.partNumber !== i + 1 || !isStr(p.etag) || !isInt(p.size)) throw invalid(where, `part ${i + 1} malformed`);
    // Only the object's last part may be short; with rest bytes to follow, every part must be full.
    if (p.size !== m.partSize && (m.restBytes > 0 || i < m.parts.length - 1)) throw invalid(where, `part ${i + 1} is not full size`);
  });
  if (m.parts.length + Math.ceil(m.restBytes / m.partSize) > MAX_PARTS) throw invalid(where, 'too many parts');
  return m;
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
