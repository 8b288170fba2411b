// cdh's tables in a real terminal: tmux panes of 80 and 200 columns, read back with capture-pane.
// The dumps are one real kernel crash (a host crash) and synthetic ones from pods.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestBucket } from '../helpers/s3.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer, NODE } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { buildCrasher } from '../helpers/crasher.ts';
import { CDH, jsonLines, runCdh } from '../helpers/cdh.ts';
import { storeSynthetic, synthetic } from '../helpers/summaries.ts';

const bucket = await createTestBucket('cdh-tty');
t.teardown(() => bucket.destroy());
const now = Math.floor(Date.now() / 1000);
await storeSynthetic(bucket.objects, [
  synthetic(1, { time: (now - 7200) * 1000, namespace: 'shop', pod: 'cart-7d9f8c6b5-x2x7q', container: 'cart', image: 'registry.example.com/shop/cart:2.4.1', exe: 'cart-server', fingerprint: '9c1e4b7a2f03d5e8' }),
  synthetic(2, { time: (now - 3600) * 1000, namespace: 'shop', pod: 'cart-7d9f8c6b5-kq8zt', container: 'cart', image: 'registry.example.com/shop/cart:2.4.1', exe: 'cart-server', fingerprint: '9c1e4b7a2f03d5e8' }),
  synthetic(3, { time: (now - 1800) * 1000, namespace: 'payments', pod: 'ledger-0', container: 'ledger', image: 'registry.example.com/payments/ledger@sha256:3b5c9e0d1f', exe: 'ledger', signal: 6, fingerprint: '51aa07c2e9d4b613' }),
]);
const c = installComposer(bucket.env);
t.teardown(() => c.remove());
const program = buildCrasher();
await withCorePattern(c.pattern, async () => {
  spawnSync('bash', ['-c', 'ulimit -c unlimited; exec "$0" 1', program]);
  await waitFor('the dump and its summary', async () => ((await bucket.allKeys()).filter((k) => k.includes('cdh-index/')).length >= 4 ? true : undefined));
});
const host = jsonLines(await runCdh(['list', '--json'], bucket.env)).find((d) => d.exe === 'crasher')!;

/** Runs cdh in a detached tmux session of `cols` x 40 and returns the pane's text. */
async function pane(cols: number, args: string[]): Promise<string[]> {
  const session = `cdh-${process.pid}-${cols}-${args[0]}`;
  const done = path.join(os.tmpdir(), `${session}.done`);
  fs.rmSync(done, { force: true });
  const envs = Object.entries(bucket.env).map(([k, v]) => `${k}=${v}`);
  const cmd = ['env', '-i', 'TERM=xterm', ...envs, NODE, CDH, ...args].map((a) => `'${a}'`).join(' ');
  // A server of its own per pane (-L): a server whose last session was killed may still be exiting.
  execFileSync('tmux', ['-L', session, 'new-session', '-d', '-s', session, '-x', String(cols), '-y', '40', `${cmd}; touch ${done}; sleep 60`]);
  try {
    await waitFor(`cdh in tmux (${cols} columns)`, () => fs.existsSync(done) || undefined);
    return execFileSync('tmux', ['-L', session, 'capture-pane', '-p', '-t', session], { encoding: 'utf8' }).replace(/\n+$/, '').split('\n');
  } finally {
    spawnSync('tmux', ['-L', session, 'kill-server']);
    fs.rmSync(done, { force: true });
  }
}

for (const cols of [80, 200]) {
  t.test(`list and groups at ${cols} columns`, async (t) => {
    const list = await pane(cols, ['list']);
    t.comment(`cdh list (${cols} columns)\n${list.join('\n')}`);
    t.match(list[0], /^ID +TIME +SIGNAL +EXE/);
    t.equal(list.length, 5, 'header and four dumps');
    t.ok(list.every((l) => l.length <= cols), 'no line wraps');
    t.match(list[1], new RegExp(`^${host.id.slice(0, 8)} `), 'the real crash is the newest');
    if (cols === 80) t.notMatch(list[0], /IMAGE/, 'the least needed column gives way');
    else {
      t.match(list[0], /IMAGE +FINGERPRINT$/, 'every column at 200');
      t.match(list.join('\n'), /registry\.example\.com\/payments\/ledger@sha256:3b5c9e0d1f/, 'nothing cut at 200');
    }
    const groups = await pane(cols, ['groups']);
    t.comment(`cdh groups (${cols} columns)\n${groups.join('\n')}`);
    t.match(groups[1], /^9c1e4b7a2f03d5e8 +2 +cart-se(rver +|… +)SIGSEGV/, "the largest group first");
    t.ok(groups.every((l) => l.length <= cols), 'no line wraps');
    const show = await pane(cols, ['show', host.id.slice(0, 8)]);
    t.comment(`cdh show (${cols} columns)\n${show.join('\n')}`);
    t.match(show.join('\n'), /signal: SIGSEGV \(11\)/);
  });
}
