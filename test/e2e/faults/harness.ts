// Building blocks of the fault suite: real crashes through the kernel, the built composer and agent
// as the kernel and the DaemonSet run them, and the checks that decide "stored whole".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installComposer, type InstalledComposer } from '../../helpers/composer-install.ts';
import { AGENT_BUNDLE, startAgent } from '../../helpers/agent-process.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';
import { saveTemp, unzipTest, zipEntry, zipNames } from '../../helpers/zip-check.ts';
import type { TestBucket } from '../../helpers/s3.ts';

export type LogLine = Record<string, any>;

/** Starts `n` crashers at once (RLIMIT_CORE unlimited), each filling `mib` MiB first; waits for all. */
export async function crashMany(program: string, n: number, mib: number, args: string[] = []): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const p = spawn('bash', ['-c', 'ulimit -c unlimited; exec "$0" "$@"', program, String(mib), ...args], { stdio: 'ignore' });
    p.on('exit', () => resolve());
  })));
}

export function crashOnce(command: string[]): string | null {
  return spawnSync('bash', ['-c', 'ulimit -c unlimited; exec "$0" "$@"', ...command], { encoding: 'utf8' }).signal;
}

export const finished = (c: InstalledComposer): LogLine[] => c.log().filter((l) => l.event === 'DumpFinished');
export const longestHold = (c: InstalledComposer): number =>
  Math.max(0, ...c.log().filter((l) => l.event === 'CoreDrained').map((l) => Number(l.heldMs)));

export interface ZipCheck { whole: boolean; info?: Record<string, any>; why?: string }

/**
 * A zip is whole when Info-ZIP accepts it, its dump-info names the core it holds, and the core entry
 * has the bytes dump-info counted (for zstd, the frames decompress in `unzip -t` terms only).
 */
export function checkZip(file: string): ZipCheck {
  try {
    if (!/No errors detected/.test(unzipTest(file))) return { whole: false, why: 'unzip -t' };
    const names = zipNames(file);
    const infoName = names.find((n) => n.endsWith('-dump-info.json'));
    if (!infoName) return { whole: false, why: 'no dump-info' };
    const info = JSON.parse(zipEntry(file, infoName).toString()) as Record<string, any>;
    const core = names.find((n) => n === info.dump_file);
    if (!core) return { whole: false, why: 'no core entry', info };
    if (info.codec !== 'zstd' && zipEntry(file, core).length !== info.core_bytes) return { whole: false, why: 'core size', info };
    return { whole: true, info };
  } catch (e) {
    return { whole: false, why: String(e).slice(0, 200) };
  }
}

export async function checkObjects(b: TestBucket): Promise<ZipCheck[]> {
  const out: ZipCheck[] = [];
  for (const k of await b.keys()) {
    const file = saveTemp(await b.get(k));
    out.push(checkZip(file));
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  return out;
}

export function checkSpooled(dir: string): ZipCheck[] {
  return spoolListing(dir).filter((f) => f.endsWith('.zip')).map((f) => checkZip(path.join(dir, f)));
}

/** Files that look like dumps in progress: nothing may be left half written once every composer ended. */
export function halfWritten(dir: string): string[] {
  const files = spoolListing(dir);
  return files.filter((f) => f.endsWith('.part') || f.includes('.tmp-') || (f.endsWith('.zip.rest') && !files.includes(f.replace(/\.rest$/, '.upload.json'))));
}

/** The built agent's one-off upload pass over a composer install's spool, as the DaemonSet would run it. */
export async function agentSweep(c: InstalledComposer, env: Record<string, string>): Promise<LogLine[]> {
  const h = scratchHost('cdc-fault-agent-');
  try {
    const a = startAgent(['sweep'], h, { HOST_DIR: c.dir, CORE_DIR: c.coreDir, EVENT_DIR: c.eventDir, ...env }, AGENT_BUNDLE);
    await a.exited;
    return a.lines;
  } finally {
    h.cleanup();
  }
}

export { installComposer };

/** What a scenario gives back: its row of the table, and its own checks (the runner asserts them). */
export interface ScenarioResult {
  row: import('../../helpers/fault-table.ts').FaultRow;
  checks: [ok: boolean, what: string][];
}
export type Scenario = { name: string; kernel: boolean; run: (program: string) => Promise<ScenarioResult> };

/** Polls `probe` every `everyMs` until `done` settles; returns the largest value seen. */
export async function peakWhile(done: Promise<unknown>, probe: () => number, everyMs = 25): Promise<number> {
  let peak = 0;
  let over = false;
  void done.finally(() => { over = true; });
  while (!over) {
    peak = Math.max(peak, probe());
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Math.max(peak, probe());
}

/**
 * Bytes of the regular files directly in `dir` (the spool's use on disk): each inode once, since a
 * commit gives the file its final name before it drops the `.part` name.
 */
export function dirBytes(dir: string): number {
  const inodes = new Map<number, number>();
  for (const f of fs.readdirSync(dir)) {
    try {
      const s = fs.lstatSync(path.join(dir, f));
      if (s.isFile()) inodes.set(s.ino, s.size);
    } catch { /* gone meanwhile */ }
  }
  return [...inodes.values()].reduce((a, b) => a + b, 0);
}
