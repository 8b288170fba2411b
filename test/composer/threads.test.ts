// Threads: cpu.max parsing, and in the real composer process (started as the kernel does) the
// libuv pool has exactly the compression thread count, from COMP_THREADS in .env and the CPU
// affinity (taskset): sized before the pool's first use, or it would have libuv's default 4.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { createTestBucket } from '../helpers/s3.ts';
import { installComposer, type InstalledComposer } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cpuMaxCores } from '../../src/composer/threads.ts';

const ARGS = ['-c=18446744073709551615', '-e=app', '-p=1', '-s=6', '-t=1700000000', '-h=node-a'];

t.test('cgroup v2 cpu.max as cores', async (t) => {
  t.equal(cpuMaxCores('max 100000\n'), Infinity);
  t.equal(cpuMaxCores('150000 100000'), 2, 'a partial core counts as one');
  t.equal(cpuMaxCores('50000 100000'), 1);
  t.equal(cpuMaxCores('garbage'), Infinity);
});

/** The composer's libuv workers while it is reading a core: counted from /proc, then let go. */
async function poolThreads(c: InstalledComposer, prefix: string[]): Promise<number> {
  const [cmd, ...args] = [...prefix, c.launcher, ...ARGS];
  const child = spawn(cmd!, args, { cwd: '/', env: {}, stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.write(Buffer.alloc(4 << 20, 7)); // enough to start compressing; the pipe stays open
  const comm = (tid: string) => { try { return fs.readFileSync(`/proc/${child.pid}/task/${tid}/comm`, 'utf8').trim(); } catch { return ''; } };
  const workers = () => { try { return fs.readdirSync(`/proc/${child.pid}/task`).filter((tid) => comm(tid) === 'libuv-worker').length; } catch { return 0; } };
  await waitFor('the composer compressing', () => (c.log().some((l) => l.event === 'Resources') && workers() > 0 ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 300)); // the pool starts all its threads at once
  const n = workers();
  child.stdin.end();
  await exited;
  return n;
}

t.test('the pool matches the compression threads: COMP_THREADS, the affinity, the default', async (t) => {
  const b = await createTestBucket('threads');
  t.teardown(() => b.destroy());
  // No release buffer: compression (and the pool) starts on the first 4 MiB, not after 64.
  const env = { ...b.env, COMP_RELEASE_BUFFER_MIB: '0', COMP_LOG_LEVEL: 'debug' };
  const one = installComposer({ ...env, COMP_THREADS: '1' });
  t.teardown(() => one.remove());
  t.equal(await poolThreads(one, []), 1, 'COMP_THREADS=1 in .env: one worker');
  t.match(one.log().find((l) => l.event === 'Resources'), { threads: 1, poolSize: 1 });
  const def = installComposer(env);
  t.teardown(() => def.remove());
  const want = Math.min(4, os.availableParallelism());
  t.equal(await poolThreads(def, []), want, `default: min(4, ${os.availableParallelism()} cores)`);
  const pinned = installComposer(env);
  t.teardown(() => pinned.remove());
  t.equal(await poolThreads(pinned, ['taskset', '-c', '0']), 1, 'taskset -c 0: one worker');
});
