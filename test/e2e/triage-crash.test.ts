// Triage end to end: real kernel crashes of C programs built here go through the built composer into
// the real S3 server; each zip's crash.json is checked against gdb on the same core (frames: pc and
// function), the fingerprint across ASLR and crash sites, the S3 metadata and the agent record.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket, type TestBucket } from '../helpers/s3.ts';
import { withCorePattern } from '../helpers/core-pattern.ts';
import { installComposer, type InstalledComposer } from '../helpers/composer-install.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { buildTriageCrasher } from '../helpers/triage-crasher.ts';
import { buildCrasher } from '../helpers/crasher.ts';
import { gdbBacktrace, gdbFrames } from '../helpers/gdb-frames.ts';
import { saveTemp, unzipTest, zipEntry, zipNames } from '../helpers/zip-check.ts';

type Sub = Parameters<Parameters<typeof t.test>[0]>[0];
interface CrashFrame { pc: string; module: string | null; offset: string; function: string | null; via: string }
interface CrashJson { fingerprint: string; summary: string; frame_pointers: boolean; frames: CrashFrame[]; thread_count: number; signal: { name: string; code_name: string; fault_address: string | null }; executable: { build_id: string | null } | null; problems: string[] }

let bucket: TestBucket;
let c: InstalledComposer;
t.before(async () => {
  bucket = await createTestBucket('triage');
  c = installComposer({ ...bucket.env, COMP_RATE_LIMIT: 'off' });
});
t.teardown(async () => { c?.remove(); await bucket?.destroy(); });

/** Crashes `argv` under the composer and returns the zip's crash.json, the core and the object. */
async function crash(argv: string[]) {
  const before = new Set(await bucket.keys());
  spawnSync('bash', ['-c', 'ulimit -c unlimited; exec "$0" "$@"', ...argv]);
  const key = await waitFor('the zip', async () => (await bucket.keys()).find((k) => !before.has(k)));
  const zip = saveTemp(await bucket.get(key));
  const base = key.replace(/\.zip$/, '');
  const names = zipNames(zip);
  const core = path.join(path.dirname(zip), 'core');
  fs.writeFileSync(core, zipEntry(zip, `${base}.core`));
  const doc = JSON.parse(zipEntry(zip, `${base}-crash.json`).toString()) as CrashJson;
  const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }));
  const recordFile = path.join(c.eventDir, `${base}.cdc.json`);
  const record = JSON.parse(await waitFor('the agent record', () => (fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8') : undefined)));
  return { zip, base, names, core, doc, meta: head.Metadata ?? {}, record };
}

/** Our frames agree with gdb's, frame by frame, as far as gdb goes up to `last` (main, a thread's start). */
function sameFrames(t: Sub, doc: CrashJson, program: string, core: string, last: string, ownDir: string) {
  const g = gdbFrames(program, core);
  const upTo = g.findIndex((f) => f.fn === last);
  t.ok(upTo >= 1, `gdb reaches ${last}`);
  t.ok(doc.frames.length > upTo, `${doc.frames.length} frames reach gdb's ${upTo + 1}`);
  for (let i = 0; i <= upTo; i++) {
    const ours = doc.frames[i]!;
    t.equal(BigInt(ours.pc), g[i]!.pc, `frame ${i}: pc ${ours.pc} as gdb (${g[i]!.fn})`);
    // gdb names these from debuginfo; ours come from the module's symbol table alone.
    if (ours.module?.startsWith(ownDir)) t.equal(ours.function?.replace(/\+0x[0-9a-f]+$/, ''), g[i]!.fn, `frame ${i}: function`);
  }
}

t.test('frame-pointer builds: crash.json frames agree with gdb; metadata, record and entry order', async (t) => {
  const b = buildTriageCrasher({ fp: true });
  const dir = path.dirname(b.program);
  await withCorePattern(c.pattern, async () => {
    const main = await crash([b.program, 'segv']);
    t.match(unzipTest(main.zip), /No errors detected/);
    const order = main.names.map((n) => n.slice(main.base.length));
    t.same(order.slice(-3), ['.core', '-crash.json', '-dump-info.json'], 'crash.json after the core, before dump-info');
    t.match(main.doc.signal, { name: 'SIGSEGV', code_name: 'SEGV_MAPERR', fault_address: '0x0' });
    t.match(main.doc.executable?.build_id, /^[0-9a-f]{40}$/);
    t.equal(main.doc.frame_pointers, true);
    t.same(main.doc.problems, []);
    sameFrames(t, main.doc, b.program, main.core, 'main', dir);
    t.match(main.doc.summary, /^SIGSEGV at triage-crasher\+0x[0-9a-f]+ in crash_here$/);
    t.match(main.meta, { signal: 'SIGSEGV', fingerprint: main.doc.fingerprint, node: /./ }, 'S3 metadata, fingerprint known at upload');
    t.match(main.record.crash, { summary: main.doc.summary, fingerprint: main.doc.fingerprint, signal: 'SIGSEGV', coreless: false });
    const info = JSON.parse(zipEntry(main.zip, `${main.base}-dump-info.json`).toString());
    t.equal(info.crash_fingerprint, main.doc.fingerprint);
    t.equal(info.core_expected_bytes, info.core_bytes, 'the program headers account for every byte');
    fs.mkdirSync('/tmp/cdc-triage-sample', { recursive: true });
    fs.writeFileSync('/tmp/cdc-triage-sample/crash.json', zipEntry(main.zip, `${main.base}-crash.json`));
    fs.writeFileSync('/tmp/cdc-triage-sample/gdb-bt.txt', gdbBacktrace(b.program, main.core));

    const lib = await crash([b.program, 'lib']);
    t.match(lib.doc.summary, /^SIGSEGV at libtriage\.so\+0x[0-9a-f]+ in lib_store$/, 'a crash inside a shared library');
    sameFrames(t, lib.doc, b.program, lib.core, 'main', dir);

    const thread = await crash([b.program, 'thread']);
    t.equal(thread.doc.thread_count, 2);
    sameFrames(t, thread.doc, b.program, thread.core, 'thread_main', dir);

    const abort = await crash([b.program, 'abort']);
    t.match(abort.doc.signal, { name: 'SIGABRT', code_name: 'SI_TKILL', fault_address: null });
    t.match(abort.doc.frames[0]?.module, /libc\.so\.6$/, 'abort: the PC is in libc');
    t.equal(BigInt(abort.doc.frames[0]!.pc), gdbFrames(b.program, abort.core)[0]!.pc);
  });
});

t.test('fingerprint: equal across ASLR, different for another crash site', async (t) => {
  const b = buildTriageCrasher({ fp: true });
  await withCorePattern(c.pattern, async () => {
    const one = await crash([b.program, 'segv']);
    const two = await crash([b.program, 'segv']);
    const other = await crash([b.program, 'site2']);
    t.not(one.doc.frames[0]!.pc, two.doc.frames[0]!.pc, 'different load addresses (ASLR)');
    t.equal(one.doc.frames[0]!.offset, two.doc.frames[0]!.offset);
    t.equal(one.doc.fingerprint, two.doc.fingerprint, 'same crash, same fingerprint');
    t.not(other.doc.fingerprint, one.doc.fingerprint, 'another site, another fingerprint');
    t.equal(other.doc.signal.fault_address, '0xc');
  });
});

t.test('no frame pointers: the PC alone, said so', async (t) => {
  const b = buildTriageCrasher({ fp: false });
  await withCorePattern(c.pattern, async () => {
    const r = await crash([b.program, 'segv']);
    t.equal(r.doc.frame_pointers, false);
    t.equal(r.doc.frames.length, 1);
    const g = gdbFrames(b.program, r.core);
    t.equal(BigInt(r.doc.frames[0]!.pc), g[0]!.pc);
    t.match(r.doc.frames[0]!.function, /^crash_here\+0x[0-9a-f]+$/, 'named from .symtab');
  });
});

t.test('crash-loop rate limit: 20 crashes, the first 3 full, the rest small, every one counted', async (t) => {
  const limited = installComposer({ ...bucket.env, COMP_RATE_LIMIT: '3/1h', COMP_RATE_LIMIT_HOST: 'true' });
  t.teardown(() => limited.remove());
  const program = buildCrasher('looper');
  await withCorePattern(limited.pattern, async () => {
    const seen: { core: boolean; count: number; omitted: unknown; heldMs: number; fingerprint: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const before = new Set(await bucket.keys());
      spawnSync('bash', ['-c', 'ulimit -c unlimited; exec "$0" "$@"', program, '8']);
      const key = await waitFor('the zip', async () => (await bucket.keys()).find((k) => !before.has(k)));
      const zip = saveTemp(await bucket.get(key));
      const base = key.replace(/\.zip$/, '');
      const names = zipNames(zip);
      const doc = JSON.parse(zipEntry(zip, `${base}-crash.json`).toString());
      const info = JSON.parse(zipEntry(zip, `${base}-dump-info.json`).toString());
      seen.push({ core: names.includes(`${base}.core`), count: doc.occurrence?.count, omitted: info.core_omitted, heldMs: info.stdin_drained_ms, fingerprint: doc.fingerprint });
      if (i >= 3) t.match(unzipTest(zip), /No errors detected/);
    }
    t.same(seen.map((s) => s.core), [...Array(3).fill(true), ...Array(17).fill(false)], 'the first 3 keep the core');
    t.same(seen.map((s) => s.omitted), [...Array(3).fill(null), ...Array(17).fill('rate-limited')]);
    t.same(seen.map((s) => s.count), Array.from({ length: 20 }, (_, i) => i + 1), 'every crash counted, per fingerprint');
    t.equal(new Set(seen.map((s) => s.fingerprint)).size, 1, 'one crash site, one fingerprint');
    t.comment(`held ms, full: ${seen.slice(0, 3).map((s) => s.heldMs).join(' ')}; small: ${seen.slice(3).map((s) => s.heldMs).join(' ')}`);
  });
});
