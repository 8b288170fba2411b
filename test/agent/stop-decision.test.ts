// SIGTERM's question, against the stand-in API server with the mounted token and CA: restore the
// host only when the agent's DaemonSet is gone or being deleted; keep capture when it stands
// (restart, rolling update) and whenever the answer cannot be had.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { decideOnStop } from '../../src/agent/stop-decision.ts';
import { inClusterApi } from '../../src/agent/events/k8s-client.ts';
import { startApiServer, type DaemonSetMode } from '../helpers/api-server.ts';
import { memoryLogger } from '../helpers/memory-logger.ts';
import { scratchHost } from '../helpers/scratch-host.ts';

const h = scratchHost('cdc-stop-');
const saDir = path.join(h.root, 'sa');
const api = await startApiServer(saDir, { namespace: 'observe' });
t.teardown(async () => { await api.close(); h.cleanup(); });
const ask = (o: { daemonSet?: string; namespace?: string; env?: Record<string, string> } = {}) => {
  const mem = memoryLogger();
  const env = o.env ?? api.env;
  return decideOnStop({
    daemonSet: 'daemonSet' in o ? o.daemonSet : 'core-dump-handler', namespace: 'namespace' in o ? o.namespace : 'observe',
    api: () => inClusterApi(env, saDir), log: mem.log, timeoutMs: 2_000,
  }).then((d) => ({ d, mem }));
};

t.test('the DaemonSet answers: gone or deleting -> uninstall; present -> keep', async (t) => {
  for (const [mode, want] of [['gone', 'uninstall'], ['deleting', 'uninstall'], ['present', 'keep']] as [DaemonSetMode, string][]) {
    api.daemonSet = mode;
    const { d, mem } = await ask();
    t.equal(d, want, mode);
    t.ok(mem.lines.some((l) => l.event === 'StopDecided'), `${mode}: decision logged`);
  }
  const last = api.seen.at(-1);
  t.equal(last?.url, '/apis/apps/v1/namespaces/observe/daemonsets/core-dump-handler');
  t.equal(last?.auth, `Bearer ${api.token}`, 'the mounted token');
});

t.test('cannot tell -> keep capture, with a stable code', async (t) => {
  api.daemonSet = 'error';
  for (const [label, o] of [
    ['API error', {}],
    ['API unreachable', { env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1' } }],
    ['not in a cluster', { env: {} }],
    ['no POD_NAMESPACE', { namespace: undefined }],
  ] as const) {
    const { d, mem } = await ask(o);
    t.equal(d, 'keep', label);
    t.ok(mem.lines.some((l) => l.event === 'CaptureKept' && l.code === 'CDC_STOP_UNDECIDED'), `${label}: CDC_STOP_UNDECIDED logged`);
  }
  // A token the API server refuses (401) is "cannot tell" too, even with the DaemonSet gone.
  api.daemonSet = 'gone';
  const good = fs.readFileSync(path.join(saDir, 'token'));
  fs.writeFileSync(path.join(saDir, 'token'), 'revoked');
  t.teardown(() => fs.writeFileSync(path.join(saDir, 'token'), good));
  t.equal((await ask()).d, 'keep', '401');
});

t.test('run outside the chart (no DAEMONSET_NAME): SIGTERM restores, as before', async (t) => {
  const { d } = await ask({ daemonSet: undefined });
  t.equal(d, 'uninstall');
});
