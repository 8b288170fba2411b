// cdh over synthetic summaries in the real RGW: the checks every store passes (cdh-catalog-checks:
// filters, groups, a summary in its body, a bare zip, an ambiguous prefix), --from-cluster through
// a stand-in kubectl (no cluster here: the script answers as kubectl would), the S3 failures as
// coded lines, an open multipart upload, and prune.
import t from 'tap';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { createTestBucket, S3_ACCESS_KEY, S3_SECRET, testS3Endpoint } from '../helpers/s3.ts';
import { expectCdhError, jsonLines, runCdh } from '../helpers/cdh.ts';
import { catalogChecks, storeVaried } from '../helpers/cdh-catalog-checks.ts';
import { stubKubectl } from '../helpers/kubectl-stub.ts';

const bucket = await createTestBucket('cdh-syn');
t.teardown(() => bucket.destroy());
const env = bucket.env;
await storeVaried(bucket.objects);
catalogChecks(t, env, () => bucket.allKeys());
const pods = async (...args: string[]) => jsonLines(await runCdh(['list', '--json', ...args], env)).map((d) => d.pod);

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

t.test('errors: each S3 failure as one line with its code, never the secret', async (t) => {
  const seen: string[] = [];
  const expect = async (e: Record<string, string>, code: string, detail: RegExp) => {
    const r = await expectCdhError(t, ['list'], e, code, detail);
    seen.push(r.stdout, r.stderr);
  };
  await expect({ ...env, S3_BUCKET_NAME: 'no-such-bucket-cdh' }, 'CDC_CLI_NO_BUCKET', /bucket "no-such-bucket-cdh" does not exist/);
  await expect({ ...env, S3_SECRET: 'wrong' }, 'CDC_CLI_ACCESS_DENIED', /S3 refused access/);
  const { S3_ACCESS_KEY: _a, S3_SECRET: _s, ...noKeys } = env;
  await expect({ ...noKeys, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' }, 'CDC_CLI_NO_CREDENTIALS', /no S3 credentials/);
  await expect({ ...env, S3_ENDPOINT: 'http://127.0.0.1:9' }, 'CDC_CLI_S3_UNREACHABLE', /ECONNREFUSED/);
  t.notOk(seen.some((s) => s.includes(S3_SECRET)), 'the secret is never printed');
});

// Last: these add and remove dumps the checks above count.
t.test('an open multipart upload lists as uploading; prune deletes zips with their summaries', async (t) => {
  const name = '11111111-2222-3333-4444-555555555555-dump-1-h-inflight-1-11';
  await bucket.client.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: `${name}.zip` }));
  t.match(jsonLines(await runCdh(['list', '--json'], env)).find((d) => d.name === name), { state: 'uploading', zipBytes: null });
  await expectCdhError(t, ['get', '1111'], env, 'CDC_CLI_UPLOADING');
  const before = await bucket.allKeys();
  const r = await runCdh(['prune', '--older-than', '30d', '--namespace', 'shop'], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /2 dumps older than 30d deleted[\s\S]*put-bucket-lifecycle-configuration --bucket /);
  t.equal((await bucket.allKeys()).length, before.length - 4, 'two zips, two summaries');
  t.same(await pods('--namespace', 'shop'), [], 'the shop dumps are gone');
  t.equal(jsonLines(await runCdh(['list', '--json'], env)).length, 4, 'the others, and the upload, stay');
});
