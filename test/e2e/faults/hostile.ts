// Hostile input: files planted in CORE_DIR, a crash the kernel reports without %P, and generated
// kernel arguments, names, settings and manifests thrown at the built composer and agent.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { withCorePattern } from '../../helpers/core-pattern.ts';
import { createTestBucket } from '../../helpers/s3.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { runComposer } from '../../helpers/run-composer.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';
import { zipEntry, zipNames } from '../../helpers/zip-check.ts';
import { agentSweep, checkSpooled, crashOnce, finished, halfWritten, installComposer, type Scenario } from './harness.ts';
import { seeded } from '../../helpers/seeded-random.ts';

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** Symlinks, FIFOs and lying manifests in CORE_DIR: nothing outside the spool reaches the bucket. */
export const plantedFiles: Scenario = {
  name: 'planted symlinks, FIFO, lying manifests in CORE_DIR', kernel: false,
  async run() {
    const b = await createTestBucket('fault-planted');
    const other = `${b.name}-other`;
    await b.client.send(new CreateBucketCommand({ Bucket: other }));
    const c = installComposer(b.env);
    const secret = path.join(c.dir, 'secret-0600');
    fs.writeFileSync(secret, 'not for the bucket\n', { mode: 0o600 });
    try {
      // A real dump already in the bucket, which a manifest will try to overwrite.
      await b.client.send(new PutObjectCommand({ Bucket: b.name, Key: 'victim.zip', Body: Buffer.alloc(4096, 1) }));
      const d = c.coreDir;
      fs.symlinkSync('/etc/shadow', path.join(d, 'shadow.zip'));
      fs.symlinkSync(path.join(c.dir, '.env'), path.join(d, 'env.zip'));
      fs.symlinkSync(secret, path.join(d, 'secret.zip'));
      execFileSync('mkfifo', [path.join(d, 'fifo.zip')]);
      const manifest = (name: string, over: Record<string, unknown>) => fs.writeFileSync(path.join(d, `${name}.zip.upload.json`), JSON.stringify({
        version: 1, bucket: b.name, key: `${name}.zip`, uploadId: 'x', partSize: 5 * 1024 * 1024, parts: [], restFile: `${name}.zip.rest`, restBytes: 11, createdAt: '', ...over,
      }));
      fs.writeFileSync(path.join(d, 'elsewhere.zip.rest'), 'hello world');
      manifest('elsewhere', { bucket: other });
      fs.writeFileSync(path.join(d, 'overwrite.zip.rest'), 'hello world');
      manifest('overwrite', { key: 'victim.zip' });
      fs.symlinkSync('/etc/shadow', path.join(d, 'linked.zip.rest'));
      manifest('linked', {});
      const lines = await agentSweep(c, b.env);
      const keys = await b.keys();
      const elsewhere = (await b.client.send(new ListObjectsV2Command({ Bucket: other }))).Contents ?? [];
      const victim = await b.get('victim.zip');
      const leaked = keys.filter((k) => k !== 'victim.zip').length + elsewhere.length + (victim.length === 4096 ? 0 : 1);
      return {
        row: { scenario: this.name, expected: 0, storedWhole: 0, refused: 0, lost: 0, leaked },
        checks: [
          [lines.some((l) => l.event === 'DumpUploadFailed' && l.code === 'CDC_MANIFEST_INVALID'), 'lying manifests refused with CDC_MANIFEST_INVALID'],
          [victim.length === 4096, 'the existing dump was not overwritten'],
          [fs.existsSync('/etc/shadow') && fs.lstatSync(path.join(d, 'shadow.zip')).isSymbolicLink(), 'links left alone, not followed'],
        ],
      };
    } finally {
      c.remove();
      await b.client.send(new DeleteBucketCommand({ Bucket: other })).catch(() => {});
      await b.destroy();
    }
  },
};

/** The Rust original's flags carry %p but no %P: in a pid namespace %p names another host process. */
export const noGlobalPid: Scenario = {
  name: 'crash in a pid namespace, core_pattern without %P', kernel: true,
  async run(program) {
    const c = installComposer({ COMP_INCLUDE_PROC_INFO: 'true' });
    try {
      await withCorePattern(`|${c.launcher} -c=%c -e=%e -p=%p -s=%s -t=%t -h=%h`, async () => {
        crashOnce(['unshare', '--pid', '--fork', '--mount-proc', program, '1']);
        await waitFor('the composer to finish', () => finished(c).length >= 1, 60_000);
      });
      const zips = checkSpooled(c.coreDir);
      const file = path.join(c.coreDir, spoolListing(c.coreDir).find((f) => f.endsWith('.zip'))!);
      const names = zipNames(file);
      const info = zips[0]?.info ?? {};
      const foreign = names.filter((n) => /-proc-(environ|cmdline)$/.test(n)).length;
      return {
        row: { scenario: this.name, expected: 1, storedWhole: zips.filter((z) => z.whole).length, refused: 0, lost: 1 - zips.filter((z) => z.whole).length, leaked: foreign },
        checks: [
          [info.proc_verified === 'none', `proc_verified ${info.proc_verified}`],
          [(info.problems ?? []).some((p: string) => p.startsWith('CDC_PROC_UNVERIFIED')), 'dump-info says why and how to fix core_pattern'],
          [zipEntry(file, names.find((n) => n.endsWith('-dump-info.json'))!).indexOf('"cmdline": null') >= 0, 'no command line of another process'],
        ],
      };
    } finally {
      c.remove();
    }
  },
};

const JUNK = ['', '..', '../../etc', '/', '\n', '\u0000', '\u00ff', '\u2603', '%P', '%', '-', '--', '=', 'x'.repeat(5000), '$(id)', '`id`', ';rm -rf /', '{uuid}', '{{', '}}', ' ', '\t'];
const FLAGS = ['-c', '-e', '-p', '-P', '-s', '-t', '-h', '-E', '-d', '-u', '-g', '-D', '-F', '-i', '-I', '--limit-size', '--exe-name', '--pathname', '-z', '-'];

/** 120 generated hostile kernel argument lists, names and settings; every run must end with a safe zip or a coded refusal. */
export const generatedInputs: Scenario = {
  name: '120 generated hostile args/names/settings + 40 manifests', kernel: false,
  async run() {
    const rnd = seeded(424242);
    const canary = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-canary-'));
    const before = new Set(fs.readdirSync(os.tmpdir()));
    const core = Buffer.alloc(64 * 1024, 0x42);
    let stored = 0;
    let crashed = 0;
    let outside = 0;
    let expected = 0;
    for (let i = 0; i < 120; i++) {
      const env: Record<string, string> = {};
      if (rnd() < 0.4) env.COMP_FILENAME_TEMPLATE = pick(rnd, ['{exe_name}/{hostname}', '../{pathname}', '{pid}{signal}', pick(rnd, JUNK), '{nope}-{uuid}', '{{podname}}']);
      if (rnd() < 0.3) env.COMP_POD_SELECTOR_LABEL = pick(rnd, JUNK);
      if (rnd() < 0.3) env[pick(rnd, ['COMP_TIMEOUT', 'COMP_CODEC', 'COMP_PART_SIZE_MIB', 'SPOOL_MAX_BYTES', 'COMP_LOG_LEVEL'])] = pick(rnd, [...JUNK, '-1', '1e99', 'NaN']);
      const c = installComposer(env);
      try {
        const args: string[] = [];
        const n = Math.floor(rnd() * 12);
        for (let k = 0; k < n; k++) {
          const f = pick(rnd, FLAGS);
          // The kernel's argv cannot hold a NUL byte; everything else it can.
          args.push(rnd() < 0.7 ? `${f}=${pick(rnd, [...JUNK.filter((j) => !j.includes('\u0000')), String(Math.floor(rnd() * 1e6)), canary + '/../x'])}` : f);
        }
        expected += 1; // a host crash: no pod, so nothing may skip it
        const r = await runComposer(c.launcher, args, core);
        if (r.code === 2 || c.log().some((l) => l.event === 'ComposerCrashed')) crashed++;
        const zips = checkSpooled(c.coreDir).filter((z) => z.whole);
        if (zips.length === 1 && halfWritten(c.coreDir).length === 0) stored++;
        outside += fs.readdirSync(canary).length;
      } finally {
        c.remove();
      }
    }
    // Manifests: mutated fields, each must be refused or ignored, never uploaded anywhere.
    const b = await createTestBucket('fault-gen');
    const c = installComposer(b.env);
    try {
      const fields: Record<string, unknown[]> = {
        version: [1, 2, '1', null], bucket: [b.name, `${b.name}x`, '', null, 7], key: ['m.zip', '../m.zip', 'victim.zip', '', null],
        uploadId: ['x', '', null], partSize: [5 << 20, 0, -1, 1e20, '5'], parts: [[], [{ partNumber: 1, etag: 'e', size: 5 << 20 }], 'x', null],
        restFile: ['m.zip.rest', '../../etc/passwd', '/etc/passwd', '.hidden', '', 'm.zip.upload.json'], restBytes: [11, -1, 1e18, '11'],
      };
      for (let i = 0; i < 40; i++) {
        const m: Record<string, unknown> = { createdAt: '' };
        for (const [k, vals] of Object.entries(fields)) m[k] = pick(rnd, vals);
        const name = `m${i}`;
        if (typeof m.key === 'string' && m.key === 'm.zip') m.key = `${name}.zip`;
        if (m.restFile === 'm.zip.rest') m.restFile = `${name}.zip.rest`;
        fs.writeFileSync(path.join(c.coreDir, `${name}.zip.rest`), 'hello world');
        fs.writeFileSync(path.join(c.coreDir, `${name}.zip.upload.json`), rnd() < 0.1 ? '{"version":1,' : JSON.stringify(m));
      }
      await agentSweep(c, b.env);
      outside += (await b.keys()).length; // no such upload exists: nothing may appear
    } finally {
      c.remove();
      await b.destroy();
    }
    const strays = fs.readdirSync(os.tmpdir()).filter((f) => !before.has(f) && !f.startsWith('cdc-')).length;
    fs.rmSync(canary, { recursive: true, force: true });
    return {
      row: { scenario: this.name, expected, storedWhole: stored, refused: 0, lost: expected - stored, leaked: outside + strays },
      checks: [[crashed === 0, `the composer crashed on ${crashed} inputs`]],
    };
  },
};

/** A command line with a password: dump-info carries it only when COMP_INCLUDE_PROC_INFO opts in. */
export const secretsOnCommandLine: Scenario = {
  name: 'a password on the command line, no opt-in', kernel: true,
  async run(program) {
    const c = installComposer({});
    try {
      await withCorePattern(c.pattern, async () => {
        crashOnce([program, '1', 'x', '--password=hunter2']);
        await waitFor('the composer to finish', () => finished(c).length >= 1, 60_000);
      });
      const zips = checkSpooled(c.coreDir);
      const file = path.join(c.coreDir, spoolListing(c.coreDir).find((f) => f.endsWith('.zip'))!);
      const json = zipNames(file).filter((n) => n.endsWith('.json')).map((n) => zipEntry(file, n).toString()).join('\n');
      return {
        row: { scenario: this.name, expected: 1, storedWhole: zips.filter((z) => z.whole).length, refused: 0, lost: 1 - zips.filter((z) => z.whole).length, leaked: json.includes('hunter2') ? 1 : 0 },
        checks: [],
      };
    } finally {
      c.remove();
    }
  },
};

/** A core that ends early (stdin closed after 20 MiB of a 64 MiB core): stored, and marked truncated. */
export const shortCore: Scenario = {
  name: 'core cut short on stdin (20 of 64 MiB)', kernel: true,
  async run(program) {
    const { withKernelCores } = await import('../../helpers/kernel-core.ts');
    const real = await withKernelCores((k) => k.crash([program, '64']));
    const c = installComposer({});
    try {
      const full = fs.statSync(real.core).size;
      async function* first20() {
        const fh = await fs.promises.open(real.core, 'r');
        try {
          for (let off = 0; off < 20 << 20; off += 1 << 20) {
            const b = Buffer.alloc(1 << 20);
            await fh.read(b, 0, b.length, off);
            yield b;
          }
        } finally {
          await fh.close();
        }
      }
      await runComposer(c.launcher, ['-c=18446744073709551615', '-e=crasher', '-s=11', `-P=${process.pid}`], first20());
      const zips = checkSpooled(c.coreDir);
      const info = zips[0]?.info ?? {};
      const honest = info.core_truncated === true && info.core_truncated_reason === 'short_read' && info.core_bytes === 20 << 20 && info.core_expected_bytes === full;
      const whole = zips.filter((z) => z.whole).length;
      return {
        row: { scenario: this.name, expected: 1, storedWhole: honest ? whole : 0, refused: 0, lost: 1 - whole, leaked: halfWritten(c.coreDir).length },
        checks: [[honest, `dump-info: truncated ${info.core_truncated} (${info.core_truncated_reason}), ${info.core_bytes} of ${info.core_expected_bytes} expected (core has ${full})`]],
      };
    } finally {
      c.remove();
      fs.rmSync(path.dirname(real.core), { recursive: true, force: true });
    }
  },
};
