// cdh over synthetic summaries in the real RGW: the checks every store passes (cdh-catalog-checks:
// filters, groups, a summary in its body, a bare zip, an ambiguous prefix), and --from-cluster
// through a stand-in kubectl (no cluster here: the script answers as kubectl would).
import t from 'tap';
import { createTestBucket, S3_ACCESS_KEY, S3_SECRET, testS3Endpoint } from '../helpers/s3.ts';
import { jsonLines, runCdh } from '../helpers/cdh.ts';
import { catalogChecks, storeVaried } from '../helpers/cdh-catalog-checks.ts';
import { stubKubectl } from '../helpers/kubectl-stub.ts';

const bucket = await createTestBucket('cdh-syn');
t.teardown(() => bucket.destroy());
const env = bucket.env;
await storeVaried(bucket.objects);
catalogChecks(t, env, () => bucket.allKeys());

t.test('--from-cluster reads the chart\'s DaemonSet and Secret through kubectl', async (t) => {
  const ref = (key: string) => ({ valueFrom: { secretKeyRef: { name: 's3config', key } } });
  // The agent container as chart/templates/daemonset.yaml renders it (manageStoreSecret: true).
  const ds = { spec: { template: { spec: { containers: [{ name: 'agent', env: [
    { name: 'S3_ENDPOINT', value: testS3Endpoint() },
    { name: 'S3_ACCESS_KEY', ...ref('s3AccessKey') }, { name: 'S3_SECRET', ...ref('s3Secret') },
    { name: 'S3_BUCKET_NAME', ...ref('s3BucketName') }, { name: 'S3_REGION', ...ref('s3Region') },
  ] }] } } } };
  const kubectl = stubKubectl(t, 'observe', ds, { s3config: { s3AccessKey: S3_ACCESS_KEY, s3Secret: S3_SECRET, s3BucketName: bucket.name, s3Region: 'us-east-1' } });
  const r = await runCdh(['list', '--json', '--from-cluster', '-n', 'observe'], {}, { path: kubectl.path });
  t.equal(r.status, 0, r.stderr);
  t.equal(jsonLines(r).length, 5, 'the bucket the cluster names, with its keys');
  t.same(kubectl.calls(), [
    '-n observe get daemonset core-dump-handler -o json', '-n observe get secret s3config -o json',
  ], 'one DaemonSet read, one Secret read');
  const wrong = await runCdh(['list', '--from-cluster', '-n', 'elsewhere'], {}, { path: kubectl.path });
  t.equal(wrong.status, 1);
  t.match(wrong.stderr, /^cdh: kubectl get daemonset core-dump-handler: Error from server \(NotFound\).*\(CDC_CLI_CLUSTER\)\n$/);
  t.notMatch(r.stderr + wrong.stderr, new RegExp(S3_SECRET), 'the secret is never printed');
});
