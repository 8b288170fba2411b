// cdh over synthetic summaries in the real RGW: the pod filters, groups by fingerprint, a summary
// too long for its key, a zip without a summary, an ambiguous prefix, and --from-cluster through a
// stand-in kubectl (no cluster here: the script answers as kubectl would, from the chart's objects).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket, S3_ACCESS_KEY, S3_SECRET, testS3Endpoint } from '../helpers/s3.ts';
import { jsonLines, runCdh } from '../helpers/cdh.ts';
import { storeSynthetic, synthetic } from '../helpers/summaries.ts';

const bucket = await createTestBucket('cdh-syn');
t.teardown(() => bucket.destroy());
const env = bucket.env;
const dumps = [
  synthetic(1, { fingerprint: 'f00d', namespace: 'shop', pod: 'cart-7d9f', container: 'cart', image: 'reg.example/cart:2' }),
  synthetic(2, { fingerprint: 'f00d', namespace: 'shop', pod: 'cart-8e1a', container: 'cart', image: 'reg.example/cart:2' }),
  synthetic(3, { fingerprint: 'f00d', namespace: 'pay', pod: 'cart-1111', container: 'cart', image: 'reg.example/cart:3' }),
  synthetic(4, { fingerprint: 'beef', namespace: 'pay', pod: 'ledger-0', container: 'ledger', image: `reg.example/${'x'.repeat(900)}:1`, signal: 6 }),
];
await storeSynthetic(bucket.objects, dumps);
// A zip with no summary (an older dump, or one whose summary failed): listed from its key alone.
const bare = 'aaaaaaaa-0000-4000-8000-000000000000-dump-1-h-old-1-11';
await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: `${bare}.zip`, Body: 'x' }));

const exes = async (...args: string[]) => jsonLines(await runCdh(['list', '--json', ...args], env)).map((d) => d.pod);

t.test('the pod filters (exact and glob)', async (t) => {
  t.same(await exes('--namespace', 'shop'), ['cart-8e1a', 'cart-7d9f']);
  t.same(await exes('--pod', 'cart-*'), ['cart-1111', 'cart-8e1a', 'cart-7d9f']);
  t.same(await exes('--container', 'ledger'), ['ledger-0']);
  t.same(await exes('--image', 'reg.example/cart:3'), ['cart-1111']);
  t.same(await exes('--fingerprint', 'f00d', '--namespace', 'pay'), ['cart-1111'], 'filters combine');
  t.same(await exes('--signal', 'ABRT'), ['ledger-0']);
});

t.test('a summary too long for its key comes from its body; a bare zip still lists', async (t) => {
  const all = jsonLines(await runCdh(['list', '--json'], env));
  t.equal(all.length, 5);
  t.equal(all.find((d) => d.pod === 'ledger-0')!.image.length, 'reg.example/'.length + 900 + 2, 'the whole image name');
  t.match(all.find((d) => d.name === bare), { id: 'aaaaaaaa-0000-4000-8000-000000000000', exe: null, state: 'stored' });
  t.ok((await bucket.allKeys()).some((k) => k.endsWith('_-')), 'the long one is stored with its summary in the body');
});

t.test('groups by fingerprint', async (t) => {
  const g = jsonLines(await runCdh(['groups', '--json'], env));
  t.match(g[0], { fingerprint: 'f00d', count: 3, pods: ['pay/cart-1111', 'shop/cart-7d9f', 'shop/cart-8e1a'], namespaces: ['pay', 'shop'], latest: dumps[2]!.uuid });
  t.equal(g[0]!.firstSeen, new Date(dumps[0]!.time).toISOString());
  t.equal(g[0]!.lastSeen, new Date(dumps[2]!.time).toISOString());
  t.match(g.find((x) => x.fingerprint === 'beef'), { count: 1 });
  t.match(g.find((x) => x.fingerprint === null), { count: 1, exe: null }, 'the bare zip groups apart');
  const table = await runCdh(['groups', '--fingerprint', 'f00d'], { ...env, COLUMNS: '200' });
  t.match(table.stdout, /^FINGERPRINT +COUNT.*\nf00d +3 +app +SIGSEGV/);
});

t.test('an ambiguous prefix names the candidates', async (t) => {
  const r = await runCdh(['show', '1000000'], env);
  t.equal(r.status, 1);
  t.match(r.stderr, /"1000000" matches 4 dumps: .*\(CDC_CLI_ID_AMBIGUOUS\)/);
});

t.test('--from-cluster reads the chart\'s DaemonSet and Secret through kubectl', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdh-kubectl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // The agent container as chart/templates/daemonset.yaml renders it (manageStoreSecret: true).
  const ds = { spec: { template: { spec: { containers: [{ name: 'agent', env: [
    { name: 'S3_ENDPOINT', value: testS3Endpoint() },
    { name: 'S3_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3config', key: 's3AccessKey' } } },
    { name: 'S3_SECRET', valueFrom: { secretKeyRef: { name: 's3config', key: 's3Secret' } } },
    { name: 'S3_BUCKET_NAME', valueFrom: { secretKeyRef: { name: 's3config', key: 's3BucketName' } } },
    { name: 'S3_REGION', valueFrom: { secretKeyRef: { name: 's3config', key: 's3Region' } } },
  ] }] } } } };
  const secret = { data: { s3AccessKey: b64(S3_ACCESS_KEY), s3Secret: b64(S3_SECRET), s3BucketName: b64(bucket.name), s3Region: b64('us-east-1') } };
  fs.writeFileSync(path.join(dir, 'ds.json'), JSON.stringify(ds));
  fs.writeFileSync(path.join(dir, 'secret.json'), JSON.stringify(secret));
  fs.writeFileSync(path.join(dir, 'kubectl'), `#!/bin/sh
printf '%s\\n' "$*" >> ${dir}/calls
case "$*" in
  "-n observe get daemonset core-dump-handler -o json") cat ${dir}/ds.json ;;
  "-n observe get secret s3config -o json") cat ${dir}/secret.json ;;
  *) echo "Error from server (NotFound): $*" >&2; exit 1 ;;
esac
`, { mode: 0o755 });
  const PATH = `${dir}:${process.env.PATH}`;
  const r = await runCdh(['list', '--json', '--from-cluster', '-n', 'observe'], {}, { path: PATH });
  t.equal(r.status, 0, r.stderr);
  t.equal(jsonLines(r).length, 5, 'the bucket the cluster names, with its keys');
  t.same(fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n'), [
    '-n observe get daemonset core-dump-handler -o json', '-n observe get secret s3config -o json',
  ], 'one DaemonSet read, one Secret read');
  const wrong = await runCdh(['list', '--from-cluster', '-n', 'elsewhere'], {}, { path: PATH });
  t.equal(wrong.status, 1);
  t.match(wrong.stderr, /^cdh: kubectl get daemonset core-dump-handler: Error from server \(NotFound\).*\(CDC_CLI_CLUSTER\)\n$/);
  t.notMatch(r.stderr + wrong.stderr, new RegExp(S3_SECRET), 'the secret is never printed');
});
