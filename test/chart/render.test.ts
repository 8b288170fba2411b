// Renders the chart for its defaults, every provider file and every ci/ file; validates every
// document against the Kubernetes schemas; then checks the DaemonSet wiring the toggles change.
import t from 'tap';
import { render, renderer, valuesFiles, type K8sObject } from './render.ts';
import { validateObject } from './validate.ts';

interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container {
  name: string; command?: string[]; env?: EnvVar[]; envFrom?: { secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Record<string, unknown>; ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } }; readinessProbe?: { httpGet: { path: string; port: string } };
}
interface PodSpec {
  containers: Container[]; volumes: { name: string; hostPath?: { path: string } }[];
  hostNetwork?: boolean; hostPID?: boolean; serviceAccountName: string;
}

const find = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
function daemonSet(objs: K8sObject[]) {
  const [ds] = find(objs, 'DaemonSet');
  if (!ds) throw new Error('no DaemonSet rendered');
  const spec = ds['spec'] as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  const pod = spec.template.spec;
  const agent = pod.containers.find((c) => c.name === 'agent');
  if (!agent) throw new Error('no agent container');
  const env = new Map((agent.env ?? []).map((e) => [e.name, e]));
  return { ds, spec, pod, agent, env, value: (n: string) => env.get(n)?.value };
}

t.comment(`renderer: ${renderer}`);
const { providers, ci } = valuesFiles();

t.test('every values file renders into valid Kubernetes objects', async (t) => {
  for (const files of [[], ...providers.map((f) => [f]), ...ci.map((f) => [f])]) {
    const label = files[0] ?? 'defaults';
    const objs = render(files);
    for (const o of objs) t.doesNotThrow(() => validateObject(o), `${label}: ${o.kind} ${o.metadata.name}`);
    const { pod, ds } = daemonSet(objs);
    // Hardening that holds for every configuration.
    t.notOk(pod.hostNetwork, `${label}: no host network`);
    t.notOk(pod.hostPID, `${label}: no host PID`);
    const hostPaths = pod.volumes.filter((v) => v.hostPath).map((v) => v.name).sort();
    t.ok(hostPaths.every((n) => ['container-runtime', 'core-dir', 'event-dir', 'host-dir'].includes(n)), `${label}: only host dirs and runtime socket: ${hostPaths}`);
    for (const k of ['name', 'instance', 'version', 'managed-by', 'component', 'part-of']) {
      t.ok(ds.metadata.labels?.[`app.kubernetes.io/${k}`], `${label}: app.kubernetes.io/${k}`);
    }
    const rbac = label === 'ci/no-rbac-values.yaml' ? 0 : 1;
    for (const k of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) t.equal(find(objs, k).length, rbac, `${label}: ${k}`);
  }
});

t.test('defaults: agent command, env, mounts, privilege, probes, secret, RBAC', async (t) => {
  const objs = render();
  const { agent, pod, value, env, spec } = daemonSet(objs);
  t.same(agent.command, ['node', '/app/agent.cjs', 'run']);
  t.same(agent.securityContext, { privileged: true, runAsUser: 0, runAsGroup: 0, readOnlyRootFilesystem: true });
  t.equal(agent.ports?.[0]?.containerPort, 9464);
  t.same(agent.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
  t.same(agent.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
  t.same(spec.selector.matchLabels, { name: 'core-dump-ds' }, 'selector unchanged from the original chart');
  const expected: Record<string, string> = {
    HOST_DIR: '/var/mnt/core-dump-handler', CORE_DIR: '/var/mnt/core-dump-handler/cores',
    EVENT_DIR: '/var/mnt/core-dump-handler/events', COMP_LOG_LEVEL: 'Warn', COMP_IGNORE_CRIO: 'false',
    COMP_INCLUDE_PROC_INFO: 'false', COMP_CRIO_IMAGE_CMD: 'img', COMP_TIMEOUT: '600', COMP_COMPRESSION: 'true',
    COMP_CORE_EVENTS: 'false', COMP_FILENAME_TEMPLATE: '{uuid}-dump-{timestamp}-{hostname}-{exe_name}-{pid}-{signal}',
    COMP_LOG_LENGTH: '500', COMP_POD_SELECTOR_LABEL: '', COMP_DIRECT_UPLOAD: 'true', COMP_CODEC: 'deflate',
    COMP_COMPRESSION_LEVEL: '1', SPOOL_MAX_BYTES: String(50 * 2 ** 30), SPOOL_MIN_FREE_BYTES: String(2 ** 30),
    CRIO_ENDPOINT: 'unix:///run/containerd/containerd.sock', SUID_DUMPABLE: '2', CORE_PIPE_LIMIT: '0',
    VENDOR: 'default', INTERVAL: '60000', SCHEDULE: '', USE_INOTIFY: 'true', DEPLOY_CRIO_CONFIG: 'false',
    DEPLOY_CRIO_EXE: 'false', METRICS_PORT: '9464',
  };
  for (const [k, v] of Object.entries(expected)) t.equal(value(k), v, k);
  t.same(env.get('S3_BUCKET_NAME')?.valueFrom?.secretKeyRef, { name: 's3config', key: 's3BucketName' });
  t.notOk(env.has('S3_ACCESS_KEY'), 'no static key without s3AccessKey');
  t.notOk(env.has('S3_ENDPOINT'), 'no endpoint by default');
  t.same(agent.volumeMounts, [
    { name: 'host-dir', mountPath: '/var/mnt/core-dump-handler' },
    { name: 'container-runtime', mountPath: '/run/containerd', readOnly: true },
  ]);
  t.same(pod.volumes.map((v) => v.hostPath?.path), ['/var/mnt/core-dump-handler', '/run/containerd']);
  const [secret] = find(objs, 'Secret');
  t.equal(secret?.metadata.name, 's3config');
  const [binding] = find(objs, 'ClusterRoleBinding');
  t.same(binding?.['subjects'], [{ kind: 'ServiceAccount', name: 'core-dump-admin', namespace: 'observe' }]);
  t.equal(pod.serviceAccountName, 'core-dump-admin');
  t.equal(find(objs, 'SecurityContextConstraints').length, 0, 'no SCC off OpenShift');
});

t.test('static keys: Secret holds them, env reads them by the original key names', async (t) => {
  const objs = render(['ci/static-keys-values.yaml']);
  const { env, value } = daemonSet(objs);
  t.same(env.get('S3_ACCESS_KEY')?.valueFrom?.secretKeyRef, { name: 's3config', key: 's3AccessKey' });
  t.same(env.get('S3_SECRET')?.valueFrom?.secretKeyRef, { name: 's3config', key: 's3Secret' });
  t.equal(value('S3_KEY_PREFIX'), 'cluster-a/');
  const data = find(objs, 'Secret')[0]?.['stringData'];
  t.same(data, { s3AccessKey: 'AKIAEXAMPLE', s3Secret: 'example-secret', s3BucketName: 'cores', s3Region: 'eu-west-1' });
});

t.test('manageStoreSecret false: no Secret, envFrom the external one', async (t) => {
  const objs = render(['ci/external-secret-values.yaml']);
  const { agent } = daemonSet(objs);
  t.equal(find(objs, 'Secret').length, 0);
  t.same(agent.envFrom, [{ secretRef: { name: 'my-s3-credentials' } }, { configMapRef: { name: 'cdh-extra' } }]);
  // The original key names, optional, are covered in chart-defects.test.ts.
});

t.test('aws.sts (IRSA): no static keys, role on the service account', async (t) => {
  for (const f of ['values.aws.sts.yaml', 'values.aws.bottlerocket.yaml']) {
    const objs = render([f], ['daemonset.s3BucketName=cores']);
    const { env } = daemonSet(objs);
    t.notOk(env.has('S3_ACCESS_KEY') || env.has('S3_SECRET'), `${f}: no static keys in env`);
    const data = find(objs, 'Secret')[0]?.['stringData'] as Record<string, string>;
    t.same(Object.keys(data).sort(), ['s3BucketName', 's3Region'], `${f}: no keys in the Secret`);
    const [sa] = find(objs, 'ServiceAccount');
    t.match(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn'], /^arn:aws:iam::/, `${f}: IRSA role`);
  }
  const { value, agent } = daemonSet(render(['values.aws.bottlerocket.yaml']));
  t.equal(value('CRIO_ENDPOINT'), 'unix:///run/dockershim.sock');
  t.ok(agent.volumeMounts?.some((m) => m.mountPath === '/run' && m.readOnly), 'socket directory mounted read-only');
});

t.test('openshift and roks: SCC for the service account, CRI-O socket, /mnt paths', async (t) => {
  for (const f of ['values.openshift.yaml', 'values.roks.yaml']) {
    const objs = render([f]);
    const [scc] = find(objs, 'SecurityContextConstraints');
    t.ok(scc, `${f}: SCC rendered`);
    t.same(scc?.['users'], ['system:serviceaccount:observe:core-dump-admin']);
    t.equal(scc?.['allowPrivilegedContainer'], true);
    t.equal(scc?.['allowHostNetwork'], false);
    const { value, agent } = daemonSet(objs);
    t.equal(value('HOST_DIR'), '/mnt/core-dump-handler');
    t.equal(value('CRIO_ENDPOINT'), 'unix:///var/run/crio/crio.sock');
    t.ok(agent.volumeMounts?.some((m) => m.mountPath === '/var/run/crio'), `${f}: CRI-O socket dir`);
  }
});

t.test('gke-cos: paths under /home/kubernetes, separate mounts for dirs outside hostDirectory', async (t) => {
  const { value, pod } = daemonSet(render(['values.gke-cos.yaml']));
  t.equal(value('HOST_DIR'), '/home/kubernetes/bin/core-dump-handler');
  t.same(pod.volumes.filter((v) => v.hostPath).map((v) => v.name), ['host-dir', 'core-dir', 'event-dir', 'container-runtime']);
});

t.test('streaming toggles reach the env', async (t) => {
  let d = daemonSet(render(['ci/spool-mode-values.yaml']));
  t.equal(d.value('COMP_DIRECT_UPLOAD'), 'false');
  t.equal(d.value('SPOOL_MAX_BYTES'), String(20 * 2 ** 30));
  t.equal(d.value('SPOOL_MIN_FREE_BYTES'), String(5 * 2 ** 30));
  d = daemonSet(render(['ci/zstd-values.yaml']));
  t.equal(d.value('COMP_CODEC'), 'zstd');
  t.equal(d.value('COMP_COMPRESSION_LEVEL'), '19');
  d = daemonSet(render(['ci/no-compression-values.yaml']));
  t.equal(d.value('COMP_COMPRESSION'), 'false');
  t.equal(d.value('COMP_CODEC'), 'store');
  d = daemonSet(render([], ['daemonset.s3Endpoint=http://rgw.local:7480', 'daemonset.corePipeLimit=8']));
  t.equal(d.value('S3_ENDPOINT'), 'http://rgw.local:7480');
  t.equal(d.value('CORE_PIPE_LIMIT'), '8');
});

t.test('other toggles', async (t) => {
  let d = daemonSet(render(['ci/no-runtime-mount-values.yaml']));
  t.same(d.pod.volumes.map((v) => v.name), ['host-dir'], 'only the host directory');
  d = daemonSet(render(['ci/sidecar-values.yaml']));
  const side = d.pod.containers.find((c) => c.name === 'shipper');
  t.same(side?.volumeMounts?.map((m) => m.mountPath), ['/var/mnt/core-dump-handler/cores', '/var/mnt/core-dump-handler/events', '/scratch']);
  t.notOk(side?.securityContext, 'sidecars are not made privileged');
  t.equal(d.value('EXTRA_FROM_STRING'), 'cdh', 'extraEnvVars string is templated');
  d = daemonSet(render(['ci/extra-env-list-values.yaml']));
  t.equal(d.value('AWS_STS_REGIONAL_ENDPOINTS'), 'regional');
  const seed = render(['ci/seed-compat-values.yaml']);
  d = daemonSet(seed);
  t.equal(d.value('DEPLOY_CRIO_CONFIG'), 'true', 'README spelling DeployCrioConfig');
  t.equal(d.value('COMP_CRIO_IMAGE_CMD'), 'images', 'values.do.yaml spelling composerCrioImageCmd');
  t.equal(d.value('SPOOL_MAX_BYTES'), String(50 * 2 ** 30), 'old storage sizes do not cap the spool');
  t.match(find(seed, 'DaemonSet')[0]?.['spec'], { template: { spec: { containers: [{ image: 'ghcr.io/core-dump-handler/core-dump-handler:0.1.0' }] } } }, 'the original image block gets our image');
  d = daemonSet(render(['ci/digest-values.yaml']));
  t.match(d.agent, { image: /^registry\.example\.com\/mirror\/core-dump-handler@sha256:0{64}$/ });
  const tok = render(['ci/token-values.yaml']);
  t.ok(find(tok, 'Secret').some((s) => s['type'] === 'kubernetes.io/service-account-token'));
  const ext = render(['ci/existing-service-account-values.yaml']);
  t.equal(find(ext, 'ServiceAccount').length, 0);
  t.equal(daemonSet(ext).pod.serviceAccountName, 'platform-core-dumps');
  d = daemonSet(render(['ci/core-events-values.yaml']));
  t.equal(d.value('COMP_CORE_EVENTS'), 'true');
  t.ok(d.agent.volumeMounts?.some((m) => m.name === 'event-dir' && m.mountPath === '/var/core-events'));
});

t.test('Azure: the container and secrets come from the Secret, Workload Identity labels the pods', async (t) => {
  const key = render(['ci/azure-key-values.yaml']);
  const d = daemonSet(key);
  t.same(d.env.get('AZURE_STORAGE_CONTAINER')?.valueFrom?.secretKeyRef, { name: 's3config', key: 'AZURE_STORAGE_CONTAINER' });
  t.same(d.env.get('AZURE_STORAGE_KEY')?.valueFrom?.secretKeyRef, { name: 's3config', key: 'AZURE_STORAGE_KEY' });
  t.equal(d.value('AZURE_STORAGE_ACCOUNT'), 'devstoreaccount1');
  t.equal(d.value('AZURE_STORAGE_BLOB_ENDPOINT'), 'http://azurite.storage.svc:10000/devstoreaccount1');
  t.notOk(d.env.has('AZURE_STORAGE_SAS_TOKEN'), 'only the secret that is set');
  const [secret] = find(key, 'Secret').filter((o) => o.metadata.name === 's3config');
  t.match(secret?.['stringData'], { AZURE_STORAGE_CONTAINER: 'cores', AZURE_STORAGE_KEY: 'ZXhhbXBsZQ==' });
  t.notOk(d.spec.template.metadata.labels['azure.workload.identity/use'], 'no Workload Identity label with a key');

  const wi = daemonSet(render(['values.azure.yaml']));
  t.equal(wi.spec.template.metadata.labels['azure.workload.identity/use'], 'true');
  t.equal(wi.value('AZURE_STORAGE_ACCOUNT'), 'mystorageaccount');
  t.notOk(wi.env.has('AZURE_STORAGE_KEY') || wi.env.has('AZURE_STORAGE_CONNECTION_STRING'), 'no secret with Workload Identity');
  t.equal(wi.env.get('AZURE_STORAGE_CONTAINER')?.valueFrom?.secretKeyRef?.key, 'AZURE_STORAGE_CONTAINER');

  const s3 = daemonSet(render());
  t.notOk([...s3.env.keys()].some((k) => k.startsWith('AZURE_')), 'the defaults stay S3 only');
});
