// The zip entries made of the CRI facts (names and bytes, as the Rust original and our earlier
// releases wrote them) and the COMP_POD_SELECTOR_LABEL policy.
import t from 'tap';
import { metadataEntries, podSelected, jsonBytes } from '../../src/composer/entries.ts';
import type { CrashMetadata, PodMetadata } from '../../src/cri/index.ts';
import { problem } from '../../src/shared/errors.ts';

const pod = (labels: Record<string, string>): PodMetadata => ({ name: 'web', namespace: 'shop', uid: 'u-1', labels, annotations: {} });
const base: CrashMetadata = { hostCrash: false, containerId: 'c'.repeat(64), podLabelsKnown: false, containers: [], problems: [] };

t.test('every fact, in the order and under the names of the original', async (t) => {
  const meta: CrashMetadata = {
    ...base, pod: pod({ app: 'web' }), podLabelsKnown: true,
    podStatus: { status: { id: 'p1' }, info: { info: { pid: 7 } } },
    runtimeStatus: { status: { id: 'c1', labels: { 'é': 'ü' } }, info: {} },
    podContainers: { containers: [{ id: 'c0' }, { id: 'c1' }, { id: 'c2' }] },
    containers: [
      { log: Buffer.from('a\nb\n'), image: { image: { id: 'sha256:1' }, info: {} } },
      { image: { image: null, info: {} } }, // no log path: no log entry
      { log: Buffer.alloc(0) }, // an empty log is still an entry; no image status: none
    ],
    problems: [problem('CDC_CRI_LOG_UNREADABLE', 'container 1: ENOENT')],
  };
  const entries = metadataEntries('dump-1', meta);
  t.same(entries.map((e) => e.name), [
    'dump-1-pod-info.json', 'dump-1-runtime-info.json', 'dump-1-ps-info.json',
    'dump-1-0.log', 'dump-1-0-image-info.json', 'dump-1-1-image-info.json', 'dump-1-2.log',
  ]);
  const bytes = (n: string) => entries.find((e) => e.name === n)!.data;
  t.equal(bytes('dump-1-pod-info.json').toString('utf8'), '{\n  "status": {\n    "id": "p1"\n  },\n  "info": {\n    "info": {\n      "pid": 7\n    }\n  }\n}\n',
    'two-space JSON with a final newline');
  t.ok(bytes('dump-1-runtime-info.json').equals(Buffer.from(JSON.stringify(meta.runtimeStatus, null, 2) + '\n', 'utf8')), 'UTF-8 JSON');
  t.equal(bytes('dump-1-ps-info.json').toString('utf8'), JSON.stringify(meta.podContainers, null, 2) + '\n');
  t.equal(bytes('dump-1-0.log'), meta.containers[0]!.log, 'a log is stored as read');
  t.equal(bytes('dump-1-1-image-info.json').toString('utf8'), '{\n  "image": null,\n  "info": {}\n}\n');
  t.equal(bytes('dump-1-2.log').length, 0);
  t.ok(jsonBytes({ a: [1] }).equals(Buffer.from('{\n  "a": [\n    1\n  ]\n}\n')));
});

t.test('no facts, no entries: a host crash, a skipped or failed lookup, no lookup at all', async (t) => {
  t.same(metadataEntries('d', { ...base, hostCrash: true }), []);
  t.same(metadataEntries('d', { ...base, problems: [problem('CDC_CRI_FAILED', 'ContainerStatus: UNAVAILABLE')] }), []);
  t.same(metadataEntries('d', undefined), []);
});

t.test('the pod found but not its containers: pod-info alone', async (t) => {
  t.same(metadataEntries('d', { ...base, podStatus: { status: {}, info: {} } }).map((e) => e.name), ['d-pod-info.json']);
});

t.test('the pod selector skips only a pod whose labels are known and lack the key', async (t) => {
  const known = (labels: Record<string, string>): CrashMetadata => ({ ...base, pod: pod(labels), podLabelsKnown: true });
  t.equal(podSelected(known({ app: 'web' }), 'core-dump'), false, 'labels known, key missing: skipped');
  t.equal(podSelected(known({ 'core-dump': '' }), 'core-dump'), true, 'the key with an empty value selects');
  t.equal(podSelected(known({ 'core-dump': 'false' }), 'core-dump'), true, 'only the key counts, not its value');
  t.equal(podSelected(known({}), 'toString'), false, 'own labels only, never Object.prototype');
  t.equal(podSelected(known({}), ''), true, 'no selector: everything is dumped');
  // the lookup could not check: capture rather than lose
  t.equal(podSelected({ ...base, pod: pod({}), podLabelsKnown: false }, 'core-dump'), true, 'pod named by container labels only');
  t.equal(podSelected({ ...base, problems: [problem('CDC_CRI_DEADLINE', 'x')] }, 'core-dump'), true, 'pod not found');
  t.equal(podSelected({ ...base, hostCrash: true }, 'core-dump'), true, 'a host process');
  t.equal(podSelected(undefined, 'core-dump'), true, 'no lookup at all');
});
