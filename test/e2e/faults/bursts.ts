// Bursts of real crashes at once: the kernel starts one composer per crash, all in parallel.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCorePattern } from '../../helpers/core-pattern.ts';
import { createTestBucket } from '../../helpers/s3.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import {
  checkObjects, checkSpooled, crashMany, dirBytes, finished, halfWritten, installComposer, longestHold, peakWhile,
  type Scenario,
} from './harness.ts';

const MiB = 1 << 20;
const DEAD_S3 = { S3_ENDPOINT: 'http://127.0.0.1:9', S3_BUCKET_NAME: 'nowhere', S3_ACCESS_KEY: 'k', S3_SECRET: 's' };

export const directBurst: Scenario = {
  name: '16 crashes at once, direct to S3', kernel: true,
  async run(program) {
    const b = await createTestBucket('fault-burst');
    const c = installComposer(b.env);
    try {
      await withCorePattern(c.pattern, async () => {
        await crashMany(program, 16, 32);
        await waitFor('16 composers to finish', () => finished(c).length >= 16, 120_000);
      });
      const objects = await checkObjects(b);
      const whole = objects.filter((o) => o.whole && o.info?.core_truncated === false).length;
      return {
        row: { scenario: this.name, expected: 16, storedWhole: whole, refused: 0, lost: 16 - whole, leaked: halfWritten(c.coreDir).length + (await b.uploadsInProgress()), longestHoldMs: longestHold(c) },
        checks: [[objects.length === 16, `16 objects, not ${objects.length}`]],
      };
    } finally {
      c.remove();
      await b.destroy();
    }
  },
};

/** The spool cap under a burst with S3 down: every composer reserves before it writes. */
export const spoolCapBurst: Scenario = {
  name: '16 crashes at once, S3 down, SPOOL_MAX_BYTES=128 MiB', kernel: true,
  async run(program) {
    const cap = 128 * MiB;
    const c = installComposer({ ...DEAD_S3, COMP_CODEC: 'store', SPOOL_MAX_BYTES: String(cap), SPOOL_MIN_FREE_BYTES: '0' });
    try {
      let peak = 0;
      await withCorePattern(c.pattern, async () => {
        const crashes = crashMany(program, 16, 32).then(() => waitFor('16 composers to finish', () => finished(c).length >= 16, 120_000));
        peak = await peakWhile(crashes, () => dirBytes(c.coreDir));
      });
      const zips = checkSpooled(c.coreDir);
      const whole = zips.filter((z) => z.whole).length;
      const refused = finished(c).filter((l) => l.code === 'CDC_SPOOL_FULL').length;
      return {
        row: { scenario: this.name, expected: 16, storedWhole: whole, refused, lost: 16 - whole - refused, leaked: halfWritten(c.coreDir).length, longestHoldMs: longestHold(c) },
        checks: [
          [peak <= cap, `peak spool use ${(peak / MiB).toFixed(1)} MiB within the 128 MiB cap`],
          [whole >= 3, `${whole} dumps of 33 MiB fit the cap (at least 3 must)`],
          [zips.every((z) => z.whole), 'every zip in the spool is whole'],
        ],
      };
    } finally {
      c.remove();
    }
  },
};

/** A disk that fills up: a small file system the test mounts; if it cannot be mounted, the test fails. */
export const fullDisk: Scenario = {
  name: 'full disk (48 MiB tmpfs), 8 crashes, S3 down', kernel: true,
  async run(program) {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-fulldisk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', mnt]); // throws: the scenario fails
    const c = installComposer({ ...DEAD_S3, CORE_DIR: mnt, COMP_CODEC: 'store', SPOOL_MIN_FREE_BYTES: '0' });
    try {
      await withCorePattern(c.pattern, async () => {
        await crashMany(program, 8, 16);
        await waitFor('8 composers to finish', () => finished(c).length >= 8, 120_000);
      });
      const zips = checkSpooled(mnt);
      const whole = zips.filter((z) => z.whole).length;
      const refused = finished(c).filter((l) => l.code === 'CDC_SPOOL_FULL' || l.code === 'CDC_SPOOL_FAILED').length;
      return {
        row: { scenario: this.name, expected: 8, storedWhole: whole, refused, lost: 8 - whole - refused, leaked: halfWritten(mnt).length, longestHoldMs: longestHold(c) },
        checks: [[whole >= 1, `${whole} dumps fit the small disk`], [zips.every((z) => z.whole), 'every zip on the disk is whole']],
      };
    } finally {
      c.remove();
      execFileSync('umount', ['-l', mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  },
};

/** A template without {uuid}: crashes of one program in the same second used to overwrite each other. */
export const noUuidTemplate: Scenario = {
  name: 'template without {uuid}, 4 crashes in one second', kernel: true,
  async run(program) {
    const b = await createTestBucket('fault-nouuid');
    const direct = installComposer({ ...b.env, COMP_FILENAME_TEMPLATE: '{exe_name}-{signal}' });
    const spool = installComposer({ ...DEAD_S3, COMP_FILENAME_TEMPLATE: '{exe_name}-{signal}' });
    try {
      for (const c of [direct, spool]) {
        await withCorePattern(c.pattern, async () => {
          await crashMany(program, 2, 1);
          await waitFor('2 composers to finish', () => finished(c).length >= 2, 60_000);
        });
      }
      const stored = [...(await checkObjects(b)), ...checkSpooled(spool.coreDir)];
      const whole = stored.filter((z) => z.whole).length;
      return {
        row: { scenario: this.name, expected: 4, storedWhole: whole, refused: 0, lost: 4 - whole, leaked: halfWritten(spool.coreDir).length },
        checks: [[direct.log().some((l) => l.event === 'TemplateProblem'), 'the missing {uuid} is warned about']],
      };
    } finally {
      direct.remove();
      spool.remove();
      await b.destroy();
    }
  },
};
