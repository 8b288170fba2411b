// The streaming core reader on real cores' headers and notes (test/fixtures/cores), whatever the
// chunking, and on hostile input: mutated notes and headers, truncation, absurd sizes.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { CoreReader } from '../../../src/composer/triage/core-reader.ts';
import { decodeFile } from '../../../src/composer/triage/notes.ts';
import { FIXTURES, fuzz } from './fuzz-reader.ts';

const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
function facts(b: Buffer, chunk: number) {
  const r = new CoreReader();
  for (let at = 0; at < b.length; at += chunk) r.observe(b.subarray(at, at + chunk));
  return r.finish();
}

t.test('x86_64 notes: threads, registers, siginfo, mapped files, whatever the chunking', async (t) => {
  const b = read('x86_64-fp-thread.notes');
  const whole = facts(b, b.length);
  t.equal(whole.machine, 'x86_64');
  t.equal(whole.threadCount, 2);
  t.match(whole.siginfo, { signo: 11, code: 1, addr: 0n });
  t.ok(whole.files.some((f) => f.path.endsWith('/libc.so.6')), 'NT_FILE names libc');
  t.ok(whole.threads[0]!.regs.get('rip')! > 0n);
  t.ok(whole.expectedCoreBytes! > b.length, 'the program headers say how long the core must be');
  t.match(whole.problems.join('\n'), /core ended at byte \d+ before/, 'a core cut after its notes says so');
  for (const chunk of [1, 7, 4096]) {
    const f = facts(b, chunk);
    t.same({ ...f, problems: [] }, { ...whole, problems: [] }, `chunks of ${chunk} bytes read the same`);
  }
});

t.test('aarch64 notes (a qemu-user core): registers by aarch64 names', async (t) => {
  const f = facts(read('aarch64-qemu-fp-segv.notes'), 512);
  t.equal(f.machine, 'aarch64');
  t.equal(f.threads[0]!.signal, 11);
  t.ok(f.threads[0]!.regs.has('x29') && f.threads[0]!.regs.has('pc') && f.threads[0]!.regs.has('sp'));
});

t.test('hostile input: never throws, says what it could not read', async (t) => {
  t.match(facts(Buffer.from('not a core at all, just text............................................'), 5).problems, [/not an ELF64/]);
  const b = Buffer.from(read('x86_64-fp-segv.notes'));
  b.writeUInt16LE(0xffff, 56); // e_phnum = PN_XNUM
  t.match(facts(b, 100).problems, [/PN_XNUM/]);
  t.same(decodeFile(Buffer.alloc(16, 0xff)), [], 'an absurd NT_FILE count reads as nothing');
  const huge = Buffer.from(read('x86_64-fp-segv.notes'));
  huge.writeBigUInt64LE(0xffffffffffffffffn, 64 + 32); // the note segment's p_filesz
  t.equal(facts(huge, 4096).threadCount, 0, 'an unreadable note segment gives no threads, no throw');
});

t.test('fuzz: mutated headers and notes from the corpus', async (t) => {
  const r = fuzz(20_000, 13);
  t.equal(r.inputs, 20_000, 'every input read without a throw or an unbounded capture');
});

t.test('sizeFromHeaders: the core size once the program headers have streamed by, not before', async (t) => {
  const b = read('x86_64-fp-thread.notes');
  const whole = facts(b, b.length);
  const r = new CoreReader();
  r.observe(b.subarray(0, 64));
  t.equal(r.sizeFromHeaders, undefined, 'the ELF header alone does not say it');
  r.observe(b.subarray(64, 8192));
  t.equal(r.sizeFromHeaders, whole.expectedCoreBytes, 'the release buffer can tell at once whether the core fits');
});
