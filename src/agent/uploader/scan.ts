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
import { candidateOf, dumpNameOf, type CandidateKind } from '../../shared/spool/index.ts';

export interface Candidate {
  kind: CandidateKind;
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
    // lstat: a symlink is never a candidate, whatever it points to (the upload re-checks the descriptor).
    const st = await fs.lstat(full).catch(() => undefined);
    if (!st?.isFile()) continue;
    out.files += 1;
    out.bytes += st.size;
    const name = dumpNameOf(file);
    if (name !== undefined) out.names.add(name);
    const c = candidateOf(file, present);
    if (c) out.candidates.push({ ...c, path: full, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}
