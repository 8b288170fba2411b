// A platform team migrating from the original chart: its values.yaml (image block included) and
// its "external secrets management" mode, with the original's Secret key names or S3_* names.
import t from 'tap';
import { render, type K8sObject } from './render.ts';
import { agentEnv, agentPod } from '../helpers/rendered-pod.ts';
import { loadAgentConfig } from '../../src/agent/agent-config.ts';

const ours = render();
const ourImage = agentPod(ours).agent.image;

t.test('the original image block (quay.io icdh/core-dump-handler v9.0.0) runs this chart\'s image', async (t) => {
  const objs = render(['ci/seed-compat-values.yaml']);
  const { agent } = agentPod(objs);
  t.equal(agent.image, ourImage, 'the chart\'s own image and appVersion, not the Rust image');
  t.match(ourImage, /^ghcr\.io\/core-dump-handler\/core-dump-handler:\d/);
  t.same(agent.command, ['node', '/app/agent.cjs', 'run']);
  // Its resource values are taken as they are.
  t.same(agent.resources, { requests: { memory: '64Mi', cpu: '250m' }, limits: { memory: '128Mi', cpu: '500m' } });
  // Any other repository is the user's choice and kept, tag included.
  const mirror = agentPod(render(['ci/seed-compat-values.yaml'], ['image.registry=registry.example.com', 'image.repository=mirror/cdh'])).agent;
  t.equal(mirror.image, 'registry.example.com/mirror/cdh:v9.0.0');
});

const secret = (name: string, data: Record<string, string>): K8sObject => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'observe' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

t.test('manageStoreSecret false: an external Secret with either key naming configures S3', async (t) => {
  const objs = render([], ['daemonset.manageStoreSecret=false', 'daemonset.storeSecretName=my-s3-credentials']);
  t.equal(objs.filter((o) => o.kind === 'Secret').length, 0, 'no chart-made Secret');
  const namings = {
    original: { s3AccessKey: 'AKIAORIG', s3Secret: 'orig-secret', s3BucketName: 'orig-bucket', s3Region: 'eu-west-1' },
    'S3_*': { S3_ACCESS_KEY: 'AKIANEW', S3_SECRET: 'new-secret', S3_BUCKET_NAME: 'new-bucket', S3_REGION: 'eu-west-2' },
  };
  for (const [naming, data] of Object.entries(namings)) {
    const env = agentEnv(objs, [secret('my-s3-credentials', data)]);
    const s3 = loadAgentConfig(env).shared.s3;
    const v = Object.values(data);
    t.same([s3.accessKeyId, s3.secretAccessKey, s3.bucket, s3.region], v, `${naming} key names`);
  }
  t.throws(() => agentEnv(objs), { name: 'PodEnvError', message: /my-s3-credentials not found/ }, 'the Secret itself must exist (as the kubelet requires)');
});
