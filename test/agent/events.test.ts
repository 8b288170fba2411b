// Kubernetes Events for stored dumps, against the stand-in API server (test/helpers/api-server.ts:
// real TLS with its own CA, so the service-account CA handling is exercised too).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { inClusterApi } from '../../src/agent/events/k8s-client.ts';
import { processRecords, type RecordProcessorOptions } from '../../src/agent/events/records.ts';
import { AgentMetrics } from '../../src/agent/health/metrics.ts';
import { memoryLogger, scratchHost } from './helpers.ts';
import { startApiServer } from '../helpers/api-server.ts';

function record(eventDir: string, name: string, storage: string, pod: unknown = { name: 'web-1', namespace: 'shop', uid: 'u-1' }) {
  fs.mkdirSync(eventDir, { recursive: true });
  const r = { version: 1, name, zip: `${name}.zip`, storage, bucket: 'dumps', key: `pre/${name}.zip`, pod, container: 'app', exe: 'crasher', signal: 11, pid: 7, timestamp: 1 };
  fs.writeFileSync(path.join(eventDir, `${name}.cdc.json`), JSON.stringify(r));
}

t.test('records become Events on the pod, in order of their storage', async (t) => {
  const h = scratchHost();
  const sa = path.join(h.root, 'sa');
  fs.mkdirSync(sa);
  let code = 201;
  const api = await startApiServer(sa);
  api.eventStatus = () => code;
  t.teardown(async () => { await api.close(); h.cleanup(); });
  const metrics = new AgentMetrics({ defaultMetrics: false });
  const mem = memoryLogger();
  const o: RecordProcessorOptions = {
    eventDir: h.eventDir, bucket: 'dumps', keyPrefix: 'pre/', nodeName: 'node-a',
    api: () => inClusterApi(api.env, sa), log: mem.log, metrics, maxAgeMs: 3600_000,
  };
  record(h.eventDir, 'direct', 's3');
  record(h.eventDir, 'spooled', 'spool');
  record(h.eventDir, 'hostcrash', 's3', null);
  await processRecords(o, new Set(['spooled'])); // the spooled dump is still in CORE_DIR

  t.equal(api.seen.length, 1, 'only the dump already in S3 is announced');
  const [first] = api.seen;
  t.equal(first!.method, 'POST');
  t.equal(first!.url, '/api/v1/namespaces/shop/events');
  t.equal(first!.auth, `Bearer ${api.token}`);
  t.match(first!.body, {
    apiVersion: 'v1', kind: 'Event', reason: 'CoreDumpStored', type: 'Warning',
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u-1' },
    metadata: { generateName: 'web-1.', namespace: 'shop' },
    source: { component: 'core-dump-handler', host: 'node-a' },
  });
  t.match(first!.body.message, 's3://dumps/pre/direct.zip');
  t.same(fs.readdirSync(h.eventDir).sort(), ['spooled.cdc.json'], 'posted and host-crash records removed');

  code = 500; // the API fails: the record stays for the next pass
  await processRecords(o, new Set());
  t.equal(api.seen.length, 2);
  t.same(fs.readdirSync(h.eventDir), ['spooled.cdc.json']);
  t.ok(mem.events().includes('EventPostFailed'));

  code = 201;
  await processRecords(o, new Set()); // uploaded now: announced and removed
  t.equal(api.seen.length, 3);
  t.match(api.seen[2]!.body.message, 'pre/spooled.zip');
  t.same(fs.readdirSync(h.eventDir), []);
  const outcomes = (await metrics.events.get()).values.map((v) => `${v.labels.outcome}=${v.value}`).sort();
  t.same(outcomes, ['failed=1', 'posted=2', 'skipped=1']);
});

t.test('outside a cluster records are removed without posting; a record failing too long is dropped', async (t) => {
  const h = scratchHost();
  t.teardown(h.cleanup);
  const metrics = new AgentMetrics({ defaultMetrics: false });
  const mem = memoryLogger();
  record(h.eventDir, 'a', 's3');
  await processRecords({ eventDir: h.eventDir, bucket: 'b', keyPrefix: '', nodeName: undefined, api: () => inClusterApi({}), log: mem.log, metrics, maxAgeMs: 1 }, new Set());
  t.same(fs.readdirSync(h.eventDir), []);
  t.ok(mem.events().includes('EventSkipped'));
  record(h.eventDir, 'b', 's3');
  const unreachable = { baseUrl: 'https://127.0.0.1:1', token: 't', dispatcher: new (await import('undici')).Agent() };
  await new Promise((r) => setTimeout(r, 5));
  await processRecords({ eventDir: h.eventDir, bucket: 'b', keyPrefix: '', nodeName: undefined, api: async () => unreachable, log: mem.log, metrics, maxAgeMs: 1 }, new Set());
  t.same(fs.readdirSync(h.eventDir), []);
  t.ok(mem.events().includes('EventDropped'));
});
