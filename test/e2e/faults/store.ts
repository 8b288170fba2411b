// The store failing around a crash: down before, cut during, gone after, stalled, slow past
// COMP_TIMEOUT; and the agent killed in the middle of finishing the job.
import fs from 'node:fs';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { withCorePattern } from '../../helpers/core-pattern.ts';
import { createTestBucket, type TestBucket } from '../../helpers/s3.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';
import { AGENT_BUNDLE, startAgent } from '../../helpers/agent-process.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import {
  agentSweep, checkObjects, crashMany, finished, halfWritten, installComposer, longestHold,
  type Scenario, type ScenarioResult,
} from './harness.ts';

const MiB = 1 << 20;

interface Rig { b: TestBucket; proxy: TcpProxy; env: Record<string, string>; done(): Promise<void> }

async function rig(prefix: string): Promise<Rig> {
  const b = await createTestBucket(prefix);
  const proxy = await startTcpProxy(Number(new URL(b.env.S3_ENDPOINT!).port));
  return { b, proxy, env: { ...b.env, S3_ENDPOINT: proxy.endpoint }, async done() { await proxy.close(); await b.destroy(); } };
}

/** One crash through a composer whose S3 goes through the proxy; `during` acts while it runs. */
async function oneCrash(
  name: string, prefix: string, program: string, mib: number, composerEnv: Record<string, string>,
  before: (r: Rig) => void, checks: (r: Rig, c: ReturnType<typeof installComposer>) => Promise<ScenarioResult['checks']>,
): Promise<ScenarioResult> {
  const r = await rig(prefix);
  const c = installComposer({ ...r.env, ...composerEnv });
  try {
    before(r);
    await withCorePattern(c.pattern, async () => {
      await crashMany(program, 1, mib);
      await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
    });
    const own = await checks(r, c);
    r.proxy.restore();
    await agentSweep(c, r.env); // the agent, later, with S3 back
    const objects = await checkObjects(r.b);
    const whole = objects.filter((o) => o.whole).length;
    return {
      row: { scenario: name, expected: 1, storedWhole: whole, refused: 0, lost: 1 - whole, leaked: halfWritten(c.coreDir).length + spoolListing(c.coreDir).length + (await r.b.uploadsInProgress()), longestHoldMs: longestHold(c) },
      checks: [...own, [objects.length === 1, `one object, not ${objects.length}`]],
    };
  } finally {
    c.remove();
    await r.done();
  }
}

export const s3DownBefore: Scenario = {
  name: 'S3 down before the crash', kernel: true,
  run: (program) => oneCrash('S3 down before the crash', 'fault-before', program, 8, {}, (r) => r.proxy.cutAfter(0),
    async (_r, c) => [[finished(c)[0]?.outcome === 'spooled', 'spooled whole for the agent']]),
};

export const s3CutDuring: Scenario = {
  name: 'S3 cut mid-stream (connection reset)', kernel: true,
  run: (program) => oneCrash('S3 cut mid-stream (connection reset)', 'fault-during', program, 64, { COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '2' },
    (r) => r.proxy.cutAfter(18 * MiB), async (_r, c) => [[finished(c)[0]?.outcome === 'partial', 'confirmed parts kept, the rest spooled with a manifest']]),
};

export const s3GoneAfter: Scenario = {
  name: 'S3 gone after the dump was stored', kernel: true,
  run: (program) => oneCrash('S3 gone after the dump was stored', 'fault-after', program, 8, {}, () => {},
    async (r, c) => {
      r.proxy.cutAfter(0);
      return [[finished(c)[0]?.outcome === 'stored', 'stored directly before S3 went away']];
    }),
};

export const s3Stalled: Scenario = {
  name: 'S3 stalls mid-stream (no reset), 256 MiB core', kernel: true,
  run: (program) => oneCrash('S3 stalls mid-stream (no reset), 256 MiB core', 'fault-stall', program, 256, { COMP_PROGRESS_TIMEOUT: '3', COMP_CODEC: 'store' },
    (r) => r.proxy.stallAfter(20 * MiB), async (_r, c) => {
      const held = longestHold(c);
      return [
        [finished(c)[0]?.outcome === 'partial', 'the rest went to disk once S3 stopped confirming'],
        [held < 3000 + 10_000, `held ${held} ms: within COMP_PROGRESS_TIMEOUT (3 s) plus writing the rest to disk`],
      ];
    }),
};

export const timeoutWhileReading: Scenario = {
  name: 'COMP_TIMEOUT while S3 is slow (core being read)', kernel: true,
  run: (program) => oneCrash('COMP_TIMEOUT while S3 is slow (core being read)', 'fault-timeout', program, 128,
    { COMP_TIMEOUT: '4', COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1', COMP_PROGRESS_TIMEOUT: '60' },
    (r) => r.proxy.throttle(8 * MiB), async (_r, c) => {
      const done = finished(c)[0];
      const manifest = spoolListing(c.coreDir).find((f) => f.endsWith('.upload.json'));
      const parts = manifest ? JSON.parse(fs.readFileSync(path.join(c.coreDir, manifest), 'utf8')).parts.length : 0;
      return [
        [done?.code === 'CDC_TIMEOUT' && done.outcome === 'partial', `finished as ${done?.outcome} with ${done?.code}`],
        [parts >= 1, `${parts} parts S3 confirmed were kept, not aborted`],
        [Number(done?.ms) < 4000 + 30_000, `the composer ended ${done?.ms} ms after it started`],
      ];
    }),
};

export const timeoutAfterDrain: Scenario = {
  name: 'COMP_TIMEOUT after the core was read (S3 slow)', kernel: true,
  run: (program) => oneCrash('COMP_TIMEOUT after the core was read (S3 slow)', 'fault-late', program, 32,
    { COMP_TIMEOUT: '3', COMP_CODEC: 'store', COMP_EARLY_BUFFER_MIB: '64', COMP_PROGRESS_TIMEOUT: '60' },
    (r) => r.proxy.throttle(1 * MiB), async (_r, c) => {
      const done = finished(c)[0];
      return [[Number(done?.ms) < 3000 + 8000, `the composer ended ${done?.ms} ms after start with COMP_TIMEOUT=3 (${done?.outcome})`]];
    }),
};

/** The agent SIGKILLed in the middle of its upload, then restarted: one object, whole. */
async function agentKilled(name: string, prefix: string, program: string, composerEnv: Record<string, string>, cut: (r: Rig) => void): Promise<ScenarioResult> {
  const r = await rig(prefix);
  const c = installComposer({ ...r.env, COMP_CODEC: 'store', ...composerEnv });
  const h = scratchHost('cdc-fault-agent-');
  try {
    cut(r);
    await withCorePattern(c.pattern, async () => {
      await crashMany(program, 1, 96);
      await waitFor('the composer to finish', () => finished(c).length >= 1, 120_000);
    });
    r.proxy.restore();
    r.proxy.throttle(16 * MiB); // slow enough to be caught in the middle
    const env = { HOST_DIR: c.dir, CORE_DIR: c.coreDir, EVENT_DIR: c.eventDir, ...r.env, COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' };
    const first = startAgent(['sweep'], h, env, AGENT_BUNDLE);
    await waitFor('parts of the agent\'s upload', async () => {
      for (const u of (await r.b.client.send(new ListMultipartUploadsCommand({ Bucket: r.b.name }))).Uploads ?? []) {
        const p = await r.b.client.send(new ListPartsCommand({ Bucket: r.b.name, Key: u.Key!, UploadId: u.UploadId! }));
        if ((p.Parts?.length ?? 0) >= 3) return true;
      }
      return false;
    }, 120_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    r.proxy.restore();
    const second = startAgent(['sweep'], h, env, AGENT_BUNDLE);
    await second.exited;
    const objects = await checkObjects(r.b);
    const whole = objects.filter((o) => o.whole).length;
    return {
      row: { scenario: name, expected: 1, storedWhole: whole, refused: 0, lost: 1 - whole, leaked: spoolListing(c.coreDir).length + (await r.b.uploadsInProgress()) },
      checks: [[objects.length === 1, `one object after the restart, not ${objects.length}`]],
    };
  } finally {
    h.cleanup();
    c.remove();
    await r.done();
  }
}

export const agentKilledMidUpload: Scenario = {
  name: 'agent killed mid-upload, restarted', kernel: true,
  run: (program) => agentKilled('agent killed mid-upload, restarted', 'fault-kill-up', program, {}, (r) => r.proxy.cutAfter(0)),
};

export const agentKilledMidCompletion: Scenario = {
  name: 'agent killed mid-completion of a partial upload', kernel: true,
  run: (program) => agentKilled('agent killed mid-completion of a partial upload', 'fault-kill-done', program,
    { COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' }, (r) => r.proxy.cutAfter(12 * MiB)),
};
