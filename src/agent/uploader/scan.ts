// What is in CORE_DIR, and what of it may be uploaded.
//
// "Is another process still writing this file?" The composer's contract answers it: it writes
// {name}.zip.part, fsyncs, and renames to {name}.zip only when complete; a partial upload's manifest
// is written last (tmp + rename). So a {name}.zip or {name}.zip.upload.json is complete by
// construction and .part files are never candidates. Two cheap guards cover writers that do not
// follow the contract (an older composer writing {name}.zip in place during an upgrade): a file is
// only taken once its mtime is minFileAgeMs old, and the uploader compares size and mtime after the
// upload and keeps the file if either changed. Scanning /proc/*/fd was rejected: it needs the host
// PID namespace and costs a readlink per open fd on the node for every pass.
import fs from 'node:fs/promises';
import path from 'node:path';

export const ZIP = '.zip';
export const MANIFEST = '.zip.upload.json';

export interface Candidate {
  kind: 'zip' | 'partial';
  /** The dump's name: file name without .zip / .zip.upload.json. */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SpoolScan {
  candidates: Candidate[];
  files: number;
  bytes: number;
  /** Every dump name with some file in the spool (finished or not), for the event records. */
  names: Set<string>;
}

function dumpName(file: string): string | undefined {
  const m = /^(.+?)\.zip(?:\.part|\.rest|\.rest\.part|\.upload\.json|\.upload\.json\.tmp.*)?$/.exec(file);
  return m?.[1];
}

export async function scanSpool(dir: string): Promise<SpoolScan> {
  const out: SpoolScan = { candidates: [], files: 0, bytes: 0, names: new Set() };
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  const present = new Set(entries);
  for (const file of entries.sort()) {
    const full = path.join(dir, file);
    const st = await fs.stat(full).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.files += 1;
    out.bytes += st.size;
    const name = dumpName(file);
    if (name !== undefined) out.names.add(name);
    if (file.startsWith('.')) continue;
    if (file.endsWith(MANIFEST)) {
      out.candidates.push({ kind: 'partial', name: file.slice(0, -MANIFEST.length), path: full, size: st.size, mtimeMs: st.mtimeMs });
    } else if (file.endsWith(ZIP) && !present.has(file + '.upload.json')) {
      // A zip with a manifest beside it is the manifest's business, never uploaded on its own.
      out.candidates.push({ kind: 'zip', name: file.slice(0, -ZIP.length), path: full, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}
