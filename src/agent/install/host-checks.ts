// Checks that the kernel can really run the installed composer on this host, made right after
// install: a host where it cannot would lose every dump silently. Each failure has a stable code;
// the agent then restores the host's own core_pattern, reports not-Ready and posts an Event.
//   CDC_HOST_NOEXEC        HOST_DIR sits on a noexec mount (the bind mount keeps the host's flag)
//   CDC_HOST_LAUNCH_FAILED a self-test crash did not run the launcher from the host's view: a glibc
//                          older than the runtime's GLIBC_2.28 (RHEL/CentOS 7, Amazon Linux 2), a
//                          missing library, an SELinux denial, a foreign-architecture runtime
// The self-test: a child process named SELFTEST_PREFIX+nonce aborts; the kernel pipes its core to
// HOST_DIR/cdc exactly as for a real crash (host root, host libraries, host security policy), and
// the launcher, seeing the nonce, writes SELFTEST_RESULT instead of a dump (launcher.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CdcError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../../shared/spool/index.ts';
import { SELFTEST_PREFIX, SELFTEST_REQUEST, SELFTEST_RESULT } from './launcher.ts';

/** The mount holding `dir` (longest mount point prefix) from a mountinfo text, with its options. */
export function mountOf(mountinfo: string, dir: string): { mountPoint: string; options: string[] } | undefined {
  let best: { mountPoint: string; options: string[] } | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    const mountPoint = (f[4] ?? '').replace(/\\040/g, ' ');
    const under = dir === mountPoint || dir.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (under && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, options: (f[5] ?? '').split(',') };
  }
  return best;
}

export async function checkExecMount(hostDir: string, mountinfoFile = '/proc/self/mountinfo'): Promise<void> {
  const m = mountOf(await fs.readFile(mountinfoFile, 'utf8'), path.resolve(hostDir));
  if (m?.options.includes('noexec')) {
    throw new CdcError('CDC_HOST_NOEXEC', `HOST_DIR ${hostDir} is on the noexec mount ${m.mountPoint}`, { hostDir, mountPoint: m.mountPoint });
  }
}

export interface SelfTestResult { node: string; glibc: string | undefined; ms: number }

export async function selfTest(hostDir: string, timeoutMs = 10_000): Promise<SelfTestResult> {
  const name = `${SELFTEST_PREFIX}${randomBytes(3).toString('hex')}`; // comm holds 15 bytes
  const request = path.join(hostDir, SELFTEST_REQUEST);
  const result = path.join(hostDir, SELFTEST_RESULT);
  const t0 = Date.now();
  await fs.rm(result, { force: true });
  await writeFileAtomic(request, name, 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      // abort() dumps core whatever RLIMIT_CORE says: the kernel pipes to a core_pattern helper unless the limit is 1.
      const child = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(name)}; process.abort();`], { stdio: 'ignore', env: {} });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    for (;;) {
      const st = await fs.lstat(result).catch(() => undefined);
      if (st?.isFile()) {
        const r = JSON.parse(await fs.readFile(result, 'utf8')) as { nonce?: string; node?: string; glibc?: string };
        if (r.nonce === name) return { node: String(r.node), glibc: r.glibc, ms: Date.now() - t0 };
      }
      if (Date.now() - t0 > timeoutMs) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new CdcError('CDC_HOST_LAUNCH_FAILED', `a self-test crash did not run ${hostDir}/cdc within ${timeoutMs} ms (host glibc older than 2.28, a missing library, an SELinux denial, or a runtime for another architecture)`, { hostDir });
  } finally {
    await fs.rm(request, { force: true });
    await fs.rm(result, { force: true });
  }
}
