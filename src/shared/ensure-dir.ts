// mkdir -p that cannot spin: Node's recursive mkdir loops forever on file systems that answer
// ENOENT for a path whose parent exists (procfs, sysfs), which a misconfigured CORE_DIR can hit.
import fs from 'node:fs';

const MAX_DEPTH = 32;

export function ensureDirSync(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  let p = dir;
  for (let i = 0; i < MAX_DEPTH; i++) {
    try {
      if (fs.statSync(p).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const parent = p.replace(/\/[^/]*\/?$/, '') || '/';
      if (parent === p) break;
      p = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
