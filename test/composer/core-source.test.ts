// The core as the composer reads it: from a real pipe (a child process writing, as the kernel
// does), cut at RLIMIT_CORE to the byte, the pipe closed at the cut so the writer is released.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { buffer } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { coreSource } from '../../src/composer/core-source.ts';
import { openReleaseFile } from '../../src/composer/release-file.ts';

const MiB = 1024 * 1024;
const RLIM_INFINITY = 2n ** 64n - 1n;

/** A file of random bytes: the start of every core below. */
function coreFile(t: { teardown(fn: () => void): void }, bytes: number): { file: string; data: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-core-src-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = randomBytes(bytes);
  const file = path.join(dir, 'core');
  fs.writeFileSync(file, data);
  return { file, data };
}

/** A writer on the other end of a pipe; its stdout is the composer's stdin. */
function writer(t: { teardown(fn: () => void): void }, cmd: string, args: string[]): { child: ChildProcess; stdin: Readable; exited: Promise<unknown[]> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = once(child, 'exit');
  t.teardown(() => { child.kill('SIGKILL'); });
  return { child, stdin: child.stdout!, exited };
}

t.test('RLIMIT_CORE cuts the core to the exact byte and closes the pipe: the writer is released', async (t) => {
  const { file, data } = coreFile(t, 4 * MiB);
  // The file, then zeros for ever: a writer that would never stop on its own.
  const w = writer(t, 'cat', [file, '/dev/zero']);
  const limit = 1_000_003n;
  let seen = 0;
  const core = coreSource(w.stdin, limit, (n) => { seen += n; });
  const out = await buffer(core.stream);
  t.equal(out.length, Number(limit));
  t.ok(out.equals(data.subarray(0, Number(limit))), 'the first RLIMIT_CORE bytes, in order');
  t.same({ bytes: core.stats.bytes, truncated: core.stats.truncated }, { bytes: Number(limit), truncated: true });
  t.ok(w.stdin.destroyed, 'stdin closed at the cut');
  const [code, signal] = await w.exited;
  t.ok(signal === 'SIGPIPE' || (code !== 0 && code !== null), `the writer stopped: code ${code}, signal ${signal}`);
  await core.drained;
  t.type(core.stats.drainedAt, 'number');
  t.ok(seen >= Number(limit), 'every byte read is reported, the cut chunk included');
});

/** A writer into a real pipe (a FIFO), as the kernel's: Node's own stdio "pipe" is a socketpair,
 * whose writer may see ECONNRESET instead of EPIPE when the reader closes (4% of 300 tries here). */
function fifoWriter(t: { teardown(fn: () => void): void }): { stdin: Readable; exited: Promise<unknown[]> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-core-fifo-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'core');
  execFileSync('mkfifo', [fifo]);
  const child = spawn('sh', ['-c', 'exec cat /dev/zero > "$0"', fifo], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  t.teardown(() => { child.kill('SIGKILL'); });
  return { stdin: fs.createReadStream(fifo), exited };
}

t.test('RLIMIT_CORE 0: nothing is read, the pipe is closed at once', async (t) => {
  const w = fifoWriter(t);
  let seen = 0;
  const core = coreSource(w.stdin, 0n, (n) => { seen += n; });
  const out = await buffer(core.stream);
  t.equal(out.length, 0);
  t.same({ bytes: core.stats.bytes, truncated: core.stats.truncated }, { bytes: 0, truncated: true });
  t.ok(w.stdin.destroyed);
  await core.drained;
  t.type(core.stats.drainedAt, 'number');
  const [, signal] = await w.exited;
  t.equal(signal, 'SIGPIPE', 'the writer got EPIPE on its first write');
  t.equal(seen, 0);
});

t.test('no limit, RLIM_INFINITY, a limit above the size and one equal to it: the whole core, not truncated', async (t) => {
  const { file, data } = coreFile(t, 3 * MiB + 77);
  for (const limit of [undefined, RLIM_INFINITY, BigInt(data.length + 1), BigInt(data.length)]) {
    const w = writer(t, 'cat', [file]);
    let seen = 0;
    const core = coreSource(w.stdin, limit, (n) => { seen += n; });
    const out = await buffer(core.stream);
    const what = `limit ${limit}`;
    t.ok(out.equals(data), `${what}: every byte`);
    t.same({ bytes: core.stats.bytes, truncated: core.stats.truncated }, { bytes: data.length, truncated: false }, what);
    t.equal(seen, data.length, `${what}: onBytes saw every byte`);
    t.same(await w.exited, [0, null], `${what}: the writer finished`);
    await core.drained;
  }
});

t.test('drained settles when the writer has given everything, not before; drainedAt is that moment', async (t) => {
  // Writes 1000 bytes, waits for a line from us, then 2000 more and exits.
  const w = writer(t, 'sh', ['-c', 'head -c 1000 /dev/zero; read go; head -c 2000 /dev/zero']);
  const core = coreSource(w.stdin, undefined);
  let settled = false;
  void core.drained.then(() => { settled = true; });
  const chunks: Buffer[] = [];
  let got = 0;
  const first = new Promise<void>((resolve) => core.stream.on('data', (c: Buffer) => {
    chunks.push(c);
    got += c.length;
    if (got >= 1000) resolve();
  }));
  const ended = once(core.stream, 'end');
  await first;
  t.equal(got, 1000);
  t.notOk(settled, 'the writer still holds the pipe open');
  t.equal(core.stats.drainedAt, undefined);
  const released = performance.now();
  w.child.stdin!.end('go\n');
  await core.drained;
  t.ok(core.stats.drainedAt! >= released, 'drainedAt is after the writer was let go');
  t.ok(core.stats.drainedAt! <= performance.now());
  await ended;
  t.equal(Buffer.concat(chunks).length, 3000);
  t.same({ bytes: core.stats.bytes, truncated: core.stats.truncated }, { bytes: 3000, truncated: false });
});

t.test('a failing stdin fails the core stream with its error', async (t) => {
  const w = writer(t, 'cat', ['/dev/zero']);
  const core = coreSource(w.stdin, undefined);
  core.stream.resume();
  await once(core.stream, 'data');
  w.stdin.destroy(new Error('stdin broke'));
  const [err] = await once(core.stream, 'error');
  t.match(err, { message: 'stdin broke' });
  await core.drained;
  t.type(core.stats.drainedAt, 'number');
});

t.test('COMP_MAX_CORE_MIB: the entry ends at the cap; the rest is still read to the end and observed, not stored', async (t) => {
  const { file, data } = coreFile(t, 6 * MiB + 5);
  const w = writer(t, 'cat', [file]);
  const observed: Buffer[] = [];
  const core = coreSource(w.stdin, undefined, () => {}, (c) => observed.push(c), 2 * MiB + 1);
  const out = await buffer(core.stream);
  t.ok(out.equals(data.subarray(0, 2 * MiB + 1)), 'the entry: the first COMP_MAX_CORE_MIB bytes');
  t.same({ bytes: core.stats.bytes, seen: core.stats.seenBytes, truncated: core.stats.truncated, reason: core.stats.truncatedReason },
    { bytes: 2 * MiB + 1, seen: data.length, truncated: true, reason: 'max_core_size' });
  t.ok(Buffer.concat(observed).equals(data), 'the observer saw the whole core');
  const [code] = await w.exited;
  t.equal(code, 0, 'the writer wrote everything: drained, not closed on');
  // A cut by the part limit drops the same way; a later timeout keeps the first reason.
  const w2 = writer(t, 'cat', [file]);
  const c2 = coreSource(w2.stdin, undefined);
  c2.drop('part_limit');
  c2.cut('timeout');
  await buffer(c2.stream);
  t.equal(c2.stats.truncatedReason, 'part_limit');
});

t.test('COMP_RELEASE_BUFFER_MIB: a core that fits is read to the end while nothing consumes it; without, the writer waits', async (t) => {
  const { file, data } = coreFile(t, 6 * MiB);
  const w = writer(t, 'cat', [file]);
  const core = coreSource(w.stdin, undefined, () => {}, undefined, Infinity, 8 * MiB);
  await Promise.race([core.drained, new Promise((_, reject) => setTimeout(() => reject(new Error('not drained')), 5000))]);
  t.equal(core.stats.seenBytes, data.length, 'all read, the compressor not yet started');
  t.ok((await buffer(core.stream)).equals(data), 'and then handed on whole');
  const w2 = writer(t, 'cat', [file]);
  const held = coreSource(w2.stdin, undefined);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(held.stats.drainedAt, undefined, 'no buffer: the writer is held until the core is consumed');
  t.ok(held.stats.seenBytes < data.length, `${held.stats.seenBytes} of ${data.length} bytes read`);
  await buffer(held.stream);
});

t.test('the release buffer is filled once: after that it drains as the core is consumed, and is not read ahead again', async (t) => {
  const { file, data } = coreFile(t, 12 * MiB);
  const w = writer(t, 'cat', [file]);
  const core = coreSource(w.stdin, undefined, () => {}, undefined, Infinity, 4 * MiB);
  await core.filled;
  const atFill = core.stats.seenBytes;
  t.ok(atFill >= 4 * MiB && atFill < 12 * MiB, `filled with ${atFill} bytes, the writer then held`);
  const got: Buffer[] = [];
  let taken = 0;
  while (taken < 3 * MiB) {
    const c = core.stream.read() as Buffer | null;
    if (c === null) { await once(core.stream, 'readable'); continue; }
    got.push(c);
    taken += c.length;
  }
  await new Promise((r) => setTimeout(r, 300));
  t.ok(core.stats.seenBytes - atFill < MiB, `3 MiB consumed, ${core.stats.seenBytes - atFill} more bytes read: the buffer drains`);
  got.push(await buffer(core.stream));
  t.ok(Buffer.concat(got).equals(data), 'and the core is whole');
  const none = coreSource(writer(t, 'cat', [file]).stdin, undefined);
  t.equal(await Promise.race([none.filled.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 50))]), 'settled', 'no buffer: filled settles at once');
  await buffer(none.stream);
});

t.test('a core whose headers say it will not fit the release buffer is not buffered', async (t) => {
  const { file, data } = coreFile(t, 12 * MiB);
  const w = writer(t, 'cat', [file]);
  const core = coreSource(w.stdin, undefined, () => {}, undefined, Infinity, 8 * MiB, () => 64 * MiB);
  await core.filled;
  await new Promise((r) => setTimeout(r, 300));
  t.ok(core.stats.seenBytes < 4 * MiB, `${core.stats.seenBytes} bytes read ahead, not the 8 MiB buffer`);
  t.ok((await buffer(core.stream)).equals(data), 'and the core is whole');
});

t.test('a release file holds the buffer on disk: the core is read to the end into it, then handed on whole, in order', async (t) => {
  const { file, data } = coreFile(t, 6 * MiB);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-release-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rf = openReleaseFile(dir, 8 * MiB, 0);
  if (!rf) throw new Error(`no release file in ${dir}`);
  let closed = false;
  const close = rf.close.bind(rf);
  rf.close = () => { closed = true; close(); };
  const w = writer(t, 'cat', [file]);
  const core = coreSource(w.stdin, undefined, () => {}, undefined, Infinity, 8 * MiB, () => undefined, rf);
  await Promise.race([core.drained, new Promise((_, reject) => setTimeout(() => reject(new Error('not drained')), 5000))]);
  t.equal(rf.unread, data.length, 'all of it in the file, nothing consumed yet');
  t.equal(core.stream.readableLength, 0, 'and none of it in memory');
  t.same(fs.readdirSync(dir), [], 'the file has no name');
  t.ok((await buffer(core.stream)).equals(data), 'handed on whole');
  t.ok(closed, 'and the file closed once read back');
});

t.test('a release file that refuses a write mid-fill: the rest stays in memory, after what the file holds', async (t) => {
  const { file, data } = coreFile(t, 6 * MiB);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-release-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rf = openReleaseFile(dir, 8 * MiB, 0)!;
  const write = rf.write.bind(rf);
  let taken = 0;
  rf.write = (c) => { if (taken + c.length > 2 * MiB) return false; taken += c.length; return write(c); }; // a full disk at 2 MiB
  const core = coreSource(writer(t, 'cat', [file]).stdin, undefined, () => {}, undefined, Infinity, 8 * MiB, () => undefined, rf);
  await core.filled;
  t.ok(taken > 0 && taken <= 2 * MiB, `${taken} bytes in the file`);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(core.stats.seenBytes - taken < 3 * MiB, `${core.stats.seenBytes - taken} bytes read past the file: no read-ahead in memory`);
  t.ok((await buffer(core.stream)).equals(data), "the core whole and in order");
});

t.test('a cut while the release file still holds bytes: they are in the entry, then it ends', async (t) => {
  const { file, data } = coreFile(t, 3 * MiB);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-release-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rf = openReleaseFile(dir, 64 * MiB, 0)!;
  // The file, then zeros for ever: only the cut ends it.
  const w = writer(t, 'cat', [file, '/dev/zero']);
  const core = coreSource(w.stdin, undefined, () => {}, undefined, Infinity, 64 * MiB, () => undefined, rf);
  while (core.stats.seenBytes < 4 * MiB) await new Promise((r) => setTimeout(r, 10));
  core.cut('timeout');
  const got = await buffer(core.stream);
  t.equal(core.stats.truncatedReason, 'timeout');
  t.equal(got.length, core.stats.bytes, 'every byte counted is in the entry');
  t.ok(got.subarray(0, data.length).equals(data), 'starting with the core, in order');
  await w.exited;
});

t.test('a drop (the part limit) takes back what the release file still holds, even once stdin is drained', async (t) => {
  const { file, data } = coreFile(t, 6 * MiB);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-release-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rf = openReleaseFile(dir, 8 * MiB, 0)!;
  const core = coreSource(writer(t, 'cat', [file]).stdin, undefined, () => {}, undefined, Infinity, 8 * MiB, () => undefined, rf);
  await core.drained;
  let first = core.stream.read() as Buffer | null; // paused mode, as the zip writer reads it
  while (first === null) { await once(core.stream, 'readable'); first = core.stream.read() as Buffer | null; }
  core.drop('part_limit');
  const rest = await buffer(core.stream);
  const got = Buffer.concat([first, rest]);
  t.ok(got.length < 3 * MiB, `${got.length} bytes in the entry, not the ${data.length} read`);
  t.ok(got.equals(data.subarray(0, got.length)), 'the start of the core');
  t.same({ bytes: core.stats.bytes, seen: core.stats.seenBytes, reason: core.stats.truncatedReason }, { bytes: got.length, seen: data.length, reason: 'part_limit' });
});
