// Kubernetes Events for stored dumps, against the stand-in API server (test/helpers/api-server.ts:
// real TLS with its own CA, so the service-account CA handling is exercised too).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { inClusterApi } from '../../../src/agent/events/k8s-client.ts';
import { processRecords, type RecordProcessorOptions } from '../../../src/agent/events/records.ts';
import { AgentMetrics } from '../../../src/agent/health/metrics.ts';
import { memoryLogger } from '../../helpers/memory-logger.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import { startApiServer } from '../../helpers/api-server.ts';

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
  t.match(await metrics.registry.metrics(), /cdc_agent_dumps_total\{storage="s3"\} 2/, 'direct-mode dumps (the pod one and the host crash) count in /metrics');
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
  const unreachable = { baseUrl: 'https://127.0.0.1:1', tokenFile: '/dev/null', dispatcher: new (await import('undici')).Agent() };
  await new Promise((r) => setTimeout(r, 5));
  await processRecords({ eventDir: h.eventDir, bucket: 'b', keyPrefix: '', nodeName: undefined, api: async () => unreachable, log: mem.log, metrics, maxAgeMs: 1 }, new Set());
  t.same(fs.readdirSync(h.eventDir), []);
  t.ok(mem.events().includes('EventDropped'));
});

t.test('the service account token is read per post: a rotated token is used, and a 401 reads it again', async (t) => {
  const h = scratchHost();
  const sa = path.join(h.root, 'sa');
  fs.mkdirSync(sa);
  const tokenFile = path.join(sa, 'token');
  // The API server accepts only the current token; the kubelet rotates the file meanwhile.
  const api = await startApiServer(sa);
  const first = api.token;
  t.teardown(async () => { await api.close(); h.cleanup(); });
  const mem = memoryLogger();
  const kube = await inClusterApi(api.env, sa);
  const o: RecordProcessorOptions = {
    eventDir: h.eventDir, bucket: 'dumps', keyPrefix: 'pre/', nodeName: 'node-a',
    api: async () => kube, log: mem.log, metrics: new AgentMetrics({ defaultMetrics: false }), maxAgeMs: 3600_000,
  };
  record(h.eventDir, 'one', 's3');
  await processRecords(o, new Set());
  fs.writeFileSync(tokenFile, 'rotated-1\n'); // rotation between two posts, same KubeApi
  api.token = 'rotated-1';
  record(h.eventDir, 'two', 's3');
  await processRecords(o, new Set());
  t.same(api.seen.map((s) => s.auth), [`Bearer ${first}`, 'Bearer rotated-1'], 'each post reads the file');

  // Rotation racing a post: the server already wants the new token when the old one arrives.
  api.token = 'rotated-2';
  const realRead = fs.promises.readFile;
  let reads = 0;
  t.teardown(() => { fs.promises.readFile = realRead; });
  fs.promises.readFile = (async (...args: Parameters<typeof realRead>) => {
    if (String(args[0]) === tokenFile && ++reads === 2) fs.writeFileSync(tokenFile, 'rotated-2\n');
    return realRead(...args);
  }) as typeof realRead;
  record(h.eventDir, 'three', 's3');
  await processRecords(o, new Set());
  t.same(api.seen.slice(2).map((s) => s.auth), ['Bearer rotated-1', 'Bearer rotated-2'], 'a 401 is retried once with the file read again');
  t.notOk(fs.existsSync(path.join(h.eventDir, 'three.cdc.json')), 'posted, so the record is gone');
});
