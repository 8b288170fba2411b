// Faults: the lookup must return what it could find, with problems, inside its deadline, and never
// lose the dump (the pod selector keeps the crash when the pod could not be checked).
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { lookupCrash, type CriSettings } from '../../src/cri/index.ts';
import { metadataEntries, podSelected } from '../../src/composer/entries.ts';
import { formatProblem } from '../../src/shared/errors.ts';
import { stdoutLogger } from '../../src/shared/log.ts';

const log = stdoutLogger('silent', 'test');
const ID = 'b'.repeat(64);
const UID = '6f1b5e0a-93c4-4d0e-9a55-2f0d3c7b8a91';
const CGROUP = `0::/kubepods/besteffort/pod${UID}/${ID}\n`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-cri-faults-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const SELECTOR = 'core-dump'; // COMP_POD_SELECTOR_LABEL: a pod that was not found must still be dumped
const settings = (s: Partial<CriSettings>): CriSettings =>
  ({ endpoint: '/nonexistent', callTimeoutMs: 1000, skipRuntime: false, keepEnvValues: false, logLines: 500, ...s });

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await fn();
  return [v, Date.now() - t0];
}

t.test('host process: hostCrash, no runtime asked', async (t) => {
  const m = await lookupCrash({ cgroup: '0::/system.slice/sshd.service\n', settings: settings({ endpoint: '/nonexistent' }), log, deadlineMs: 1000 });
  t.same(m, { hostCrash: true, podLabelsKnown: false, containers: [], problems: [] });
  t.equal(podSelected(m, SELECTOR), true);
});

t.test('runtime socket missing: fails fast with an error, capture kept', async (t) => {
  const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, settings: settings({ endpoint: `unix://${dir}/missing.sock` }), log, deadlineMs: 3000 }));
  t.ok(ms < 3000, `returned in ${ms} ms`);
  t.equal(m.hostCrash, false);
  t.equal(m.containerId, ID);
  t.equal(m.pod, undefined);
  t.equal(m.podLabelsKnown, false);
  t.equal(podSelected(m, SELECTOR), true, 'lookup failed: capture rather than lose');
  t.same(metadataEntries('x', m), []);
  t.same([m.runtimeStatus, m.podStatus, m.podContainers, m.containers], [undefined, undefined, undefined, []]);
  t.equal(m.problems.length, 1, 'one problem, no pointless further calls');
  t.match(m.problems[0], { code: 'CDC_CRI_FAILED', detail: /^ContainerStatus: .*UNAVAILABLE/ });
});

t.test('a runtime that accepts and never answers', async (t) => {
  const sock = `${dir}/silent.sock`;
  const held: net.Socket[] = [];
  const server = net.createServer((s) => { held.push(s); s.on('error', () => {}); }); // accept, read nothing, reply nothing
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => { for (const s of held) s.destroy(); server.close(); });

  await t.test('per-call deadline (COMP_CRI_TIMEOUT_MS) ends it', async (t) => {
    const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, settings: settings({ endpoint: sock, callTimeoutMs: 300 }), log, deadlineMs: 5000 }));
    t.ok(ms >= 250 && ms < 1500, `returned in ${ms} ms`);
    t.equal(m.containerId, ID);
    t.equal(podSelected(m, SELECTOR), true);
    t.match(m.problems[0], { code: 'CDC_CRI_FAILED', detail: /ContainerStatus: DEADLINE_EXCEEDED/ });
    t.equal(m.problems.length, 1);
  });

  await t.test('the whole-lookup deadline ends it even when the per-call limit is longer', async (t) => {
    const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, settings: settings({ endpoint: sock, callTimeoutMs: 10_000 }), log, deadlineMs: 600 }));
    t.ok(ms >= 550 && ms < 1500, `returned in ${ms} ms`);
    t.equal(m.containerId, ID);
    t.equal(podSelected(m, SELECTOR), true);
    t.ok(m.problems.length >= 1);
    t.match(m.problems.map(formatProblem).join('\n'), /DEADLINE/);
  });
});

t.test('deadline 0: returns at once with the container id', async (t) => {
  const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, settings: settings({ endpoint: `${dir}/missing.sock` }), log, deadlineMs: 0 }));
  t.ok(ms < 500, `returned in ${ms} ms`);
  t.equal(m.containerId, ID);
  t.equal(podSelected(m, SELECTOR), true);
  t.ok(m.problems.length >= 1);
});

t.test('COMP_IGNORE_CRIO: no CRI calls even with a broken endpoint', async (t) => {
  const m = await lookupCrash({ cgroup: CGROUP, settings: settings({ skipRuntime: true, endpoint: `${dir}/missing.sock` }), log, deadlineMs: 1000 });
  t.same(m, { hostCrash: false, containerId: ID, podLabelsKnown: false, containers: [], problems: [] });
  t.equal(podSelected(m, SELECTOR), true);
});
