// The CoreDumpStored Event message from a record with triage, and from an old record without it;
// crash metrics by signal and namespace with bounded label values.
import t from 'tap';
import { message } from '../../../src/agent/events/records.ts';
import { AgentMetrics } from '../../../src/agent/health/metrics.ts';
import type { AgentRecord } from '../../../src/shared/spool/index.ts';

const old: AgentRecord = { version: 1, name: 'n', zip: 'n.zip', storage: 's3', bucket: 'b', key: 'n.zip', pod: { name: 'p', namespace: 'ns', uid: 'u' }, container: 'app', exe: 'x', signal: 11, pid: 1, timestamp: 1 };

t.test('Event message', async (t) => {
  t.equal(message(old, undefined, 'n.zip'), 'Core dump stored at s3://b/n.zip (container app, exe x, signal 11)', 'old records read as before');
  const rec = { ...old, crash: { summary: 'SIGSEGV at libfoo.so+0x1a2b in main', fingerprint: '3f2c0011aabbccdd', signal: 'SIGSEGV', count: 3, windowSec: 3600, coreless: false } };
  t.equal(message(rec, undefined, 'n.zip'), 'SIGSEGV at libfoo.so+0x1a2b in main (fingerprint 3f2c0011aabbccdd, 3rd time in 1 h); core dump of container app stored at s3://b/n.zip');
  t.match(message({ ...rec, crash: { ...rec.crash, count: 12, coreless: true } }, undefined, 'n.zip'), /12th time in 1 h\); over the rate limit, crash report without core/);
  t.equal(message({ ...old, bucket: 'cores' }, undefined, 'n.zip', 'azure'), 'Core dump stored at azure://cores/n.zip (container app, exe x, signal 11)', 'Azure: the container');
});

t.test('crash metrics: bounded labels', async (t) => {
  const m = new AgentMetrics({ defaultMetrics: false });
  m.countCrash(old);
  m.countCrash({ ...old, signal: 99, pod: null });
  for (let i = 0; i < 150; i++) m.countCrash({ ...old, pod: { name: 'p', namespace: `ns${i}`, uid: 'u' } });
  const v = (await m.crashes.get()).values;
  t.ok(v.find((x) => x.labels.signal === 'SIGSEGV' && x.labels.namespace === 'ns' && x.labels.core === 'kept'));
  t.ok(v.find((x) => x.labels.signal === 'other' && x.labels.namespace === 'host'), 'unknown signal, host crash');
  t.ok(v.find((x) => x.labels.namespace === 'other'), 'namespaces past the cap fold into "other"');
  t.ok(v.length <= 103, `${v.length} series`);
});
