// stdin read into whole blocks (stdin-reader.ts), from a real pipe (a FIFO, as the kernel's).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { buffer } from 'node:stream/consumers';
import { blockStdin, READ_BLOCK_BYTES } from '../../src/composer/stdin-reader.ts';
import { coreSource } from '../../src/composer/core-source.ts';

const KiB = 1024;

/** A FIFO's read end, fed by `sh -c script`; opened once the writer has it open (as the kernel's pipe). */
function pipeFrom(t: { teardown(fn: () => void): void }, script: string, data: Buffer): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-stdin-'));
  const file = path.join(dir, 'data');
  fs.writeFileSync(file, data);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const child = spawn('sh', ['-c', `exec > "$1"; ${script}`, file, fifo], { stdio: 'ignore' });
  const fd = fs.openSync(fifo, 'r'); // blocks until the writer opens its end
  t.teardown(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return fd;
}

t.test('a core arrives whole: its first block read by read (triage needs the notes early), then in whole blocks', async (t) => {
  const data = randomBytes(3 * READ_BLOCK_BYTES + 123 * KiB);
  const stdin = blockStdin(pipeFrom(t, 'exec cat "$0"', data));
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
  t.ok(Buffer.concat(chunks).equals(data), 'every byte, in order');
  const sizes = chunks.map((c) => c.length);
  const rest = sizes.slice(-3);
  t.same(rest, [READ_BLOCK_BYTES, READ_BLOCK_BYTES, 123 * KiB], 'then whole blocks, and the short last');
  const first = sizes.slice(0, -3);
  t.equal(first.reduce((a, b) => a + b, 0), READ_BLOCK_BYTES, 'the first block');
  t.ok(first.length > 1 && Math.max(...first) <= 64 * KiB, `came as ${first.length} reads of at most a pipe's 64 KiB`);
});

t.test('an empty pipe ends at once, with no chunk', async (t) => {
  const stdin = blockStdin(pipeFrom(t, 'exec true', Buffer.alloc(0)));
  const chunks: unknown[] = [];
  for await (const c of stdin) chunks.push(c);
  t.same(chunks, []);
});

t.test('blocks handed back are filled again: a long core reuses a few', async (t) => {
  const data = randomBytes(12 * READ_BLOCK_BYTES);
  const stdin = blockStdin(pipeFrom(t, 'exec cat "$0"', data));
  const copies: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  for await (const raw of stdin) {
    const c = raw as Buffer;
    memories.add(c.buffer);
    copies.push(Buffer.from(c)); // what the compressor does, before it hands the block back
    stdin.recycle(c);
  }
  t.ok(Buffer.concat(copies).equals(data), 'reuse never overwrites a block before it was copied');
  t.ok(memories.size <= 6, `12 blocks read into ${memories.size} buffers`);
});

t.test('a cut keeps the bytes already read into a block being filled', async (t) => {
  const data = randomBytes(READ_BLOCK_BYTES + 300 * KiB);
  // The writer sends the first block and 300 KiB more, then stalls with the pipe open (as a dump
  // that hangs): the 300 KiB wait in the second block, never filled.
  const stdin = blockStdin(pipeFrom(t, 'cat "$0"; exec sleep 30', data));
  const core = coreSource(stdin, undefined);
  const stored = buffer(core.stream);
  // Nothing is pushed before a block fills, so there is nothing to watch: give the writer time.
  await new Promise((r) => setTimeout(r, 500));
  core.cut('timeout');
  const got = await stored;
  t.ok(got.equals(data), `the entry holds the ${data.length} bytes the writer sent (got ${got.length})`);
  t.equal(core.stats.truncatedReason, 'timeout');
  t.equal(core.stats.bytes, data.length);
});

t.test('a regular file is not a stream: blockStdin refuses it, so openStdin falls back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-stdin-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'core');
  fs.writeFileSync(file, 'x');
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  t.throws(() => blockStdin(fd), { code: 'ERR_INVALID_FD_TYPE' });
});
