// Tail of CRI log files: last N messages, partial lines joined, bounded reads, no symlinks.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailCriLog, criMessages, readLastLines } from '../../src/cri/log-tail.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-logtail-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const ts = '2024-05-01T10:00:00.123456789Z';
const cri = (n: number) => Array.from({ length: n }, (_, i) => `${ts} ${i % 2 ? 'stderr' : 'stdout'} F msg-${i + 1}`).join('\n') + '\n';

t.test('last N messages with the CRI prefix stripped', async (t) => {
  fs.writeFileSync(`${dir}/a.log`, cri(10));
  t.equal((await tailCriLog(`${dir}/a.log`, 3)).toString(), 'msg-8\nmsg-9\nmsg-10\n');
  t.equal((await tailCriLog(`${dir}/a.log`, 100)).toString().split('\n').length, 11);
  t.equal((await tailCriLog(`${dir}/a.log`, 0)).length, 0);
});

t.test('many chunks: only the tail is read', async (t) => {
  fs.writeFileSync(`${dir}/big.log`, cri(50_000)); // ~2.5 MB
  t.equal((await tailCriLog(`${dir}/big.log`, 2)).toString(), 'msg-49999\nmsg-50000\n');
  const lines = await readLastLines(`${dir}/big.log`, 1000, 64 * 1024);
  t.ok(lines.length < 1500 && lines.at(-1)!.endsWith('msg-50000'), 'maxBytes bounds the read');
});

t.test('partial lines (P) are joined; a file without a final newline works', async (t) => {
  fs.writeFileSync(`${dir}/p.log`, `${ts} stdout P abc\n${ts} stdout P def\n${ts} stdout F ghi\n${ts} stdout F last`);
  t.equal((await tailCriLog(`${dir}/p.log`, 5)).toString(), 'abcdefghi\nlast\n');
  t.same(criMessages([`${ts} stdout F `, 'not cri format', `${ts} stderr F`]), ['', 'not cri format', '']);
});

t.test('refuses symlinks, relative paths and non-files', async (t) => {
  fs.writeFileSync(`${dir}/real.log`, cri(1));
  fs.symlinkSync(`${dir}/real.log`, `${dir}/link.log`);
  await t.rejects(tailCriLog(`${dir}/link.log`, 5), { code: 'ELOOP' });
  await t.rejects(tailCriLog('relative/0.log', 5), /not absolute/);
  await t.rejects(tailCriLog(dir, 5), /regular file|EISDIR/);
  await t.rejects(tailCriLog(`${dir}/missing.log`, 5), { code: 'ENOENT' });
});
