// Faults: the lookup must return what it could find, with errors, inside its deadline, and never
// lose the dump (selected stays true when the pod could not be checked).
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { lookupCrash } from '../../src/cri/index.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { stdoutLogger } from '../../src/shared/log.ts';

const log = stdoutLogger('silent', 'test');
const ID = 'b'.repeat(64);
const UID = '6f1b5e0a-93c4-4d0e-9a55-2f0d3c7b8a91';
const CGROUP = `0::/kubepods/besteffort/pod${UID}/${ID}\n`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-cri-faults-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = (env: Record<string, string>) => loadConfig({ COMP_POD_SELECTOR_LABEL: 'core-dump', ...env }).config;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await fn();
  return [v, Date.now() - t0];
}

t.test('host process: hostCrash, no runtime asked', async (t) => {
  const m = await lookupCrash({ cgroup: '0::/system.slice/sshd.service\n', config: config({ CRIO_ENDPOINT: '/nonexistent' }), log, deadlineMs: 1000 });
  t.same(m, { hostCrash: true, selected: true, entries: [], errors: [] });
});

t.test('runtime socket missing: fails fast with an error, capture kept', async (t) => {
  const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, config: config({ CRIO_ENDPOINT: `unix://${dir}/missing.sock` }), log, deadlineMs: 3000 }));
  t.ok(ms < 3000, `returned in ${ms} ms`);
  t.equal(m.hostCrash, false);
  t.equal(m.containerId, ID);
  t.equal(m.pod, undefined);
  t.equal(m.selected, true, 'lookup failed: capture rather than lose');
  t.same(m.entries, []);
  t.equal(m.errors.length, 1, 'one error, no pointless further calls');
  t.match(m.errors[0], /CDC_CRI_FAILED: ContainerStatus: .*UNAVAILABLE/);
});

t.test('a runtime that accepts and never answers', async (t) => {
  const sock = `${dir}/silent.sock`;
  const held: net.Socket[] = [];
  const server = net.createServer((s) => { held.push(s); s.on('error', () => {}); }); // accept, read nothing, reply nothing
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => { for (const s of held) s.destroy(); server.close(); });

  await t.test('per-call deadline (COMP_CRI_TIMEOUT_MS) ends it', async (t) => {
    const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, config: config({ CRIO_ENDPOINT: sock, COMP_CRI_TIMEOUT_MS: '300' }), log, deadlineMs: 5000 }));
    t.ok(ms >= 250 && ms < 1500, `returned in ${ms} ms`);
    t.equal(m.containerId, ID);
    t.equal(m.selected, true);
    t.match(m.errors[0], /ContainerStatus: DEADLINE_EXCEEDED/);
    t.equal(m.errors.length, 1);
  });

  await t.test('the whole-lookup deadline ends it even when the per-call limit is longer', async (t) => {
    const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, config: config({ CRIO_ENDPOINT: sock, COMP_CRI_TIMEOUT_MS: '10000' }), log, deadlineMs: 600 }));
    t.ok(ms >= 550 && ms < 1500, `returned in ${ms} ms`);
    t.equal(m.containerId, ID);
    t.equal(m.selected, true);
    t.ok(m.errors.length >= 1);
    t.match(m.errors.join('\n'), /DEADLINE/);
  });
});

t.test('deadline 0: returns at once with the container id', async (t) => {
  const [m, ms] = await timed(() => lookupCrash({ cgroup: CGROUP, config: config({ CRIO_ENDPOINT: `${dir}/missing.sock` }), log, deadlineMs: 0 }));
  t.ok(ms < 500, `returned in ${ms} ms`);
  t.equal(m.containerId, ID);
  t.equal(m.selected, true);
  t.ok(m.errors.length >= 1);
});

t.test('COMP_IGNORE_CRIO: no CRI calls even with a broken endpoint', async (t) => {
  const m = await lookupCrash({ cgroup: CGROUP, config: config({ COMP_IGNORE_CRIO: 'true', CRIO_ENDPOINT: `${dir}/missing.sock` }), log, deadlineMs: 1000 });
  t.same(m, { hostCrash: false, containerId: ID, selected: true, entries: [], errors: [] });
});
