// What the agent pod may touch beyond what it needs: sidecars never see HOST_DIR (the programs the
// kernel runs as root, and .env with the S3 keys); RBAC is exactly the agent's own API calls.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { render, repo, type K8sObject } from './render.ts';
import { agentPod } from '../helpers/rendered-pod.ts';

const kinds = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);

t.test('sidecars get the core and event directories, never HOST_DIR or .env', async (t) => {
  for (const [label, files, set] of [
    ['default paths (under HOST_DIR, via subPath)', ['ci/sidecar-values.yaml'], []],
    ['gke-cos (dirs outside HOST_DIR)', ['values.gke-cos.yaml', 'ci/sidecar-values.yaml'], []],
  ] as const) {
    const { pod } = agentPod(render([...files], [...set]));
    const hostDir = pod.containers[0]?.env?.find((e) => e.name === 'HOST_DIR')?.value ?? '';
    const side = pod.containers.find((c) => c.name === 'shipper');
    const mounts = side?.volumeMounts ?? [];
    t.ok(mounts.length >= 2, `${label}: sidecar has mounts`);
    for (const m of mounts) {
      const vol = pod.volumes.find((v) => v.name === m.name);
      const hostPath = vol?.hostPath ? path.join(vol.hostPath.path, m.subPath ?? '') : undefined;
      if (!hostPath) continue;
      t.not(path.resolve(hostPath), path.resolve(hostDir), `${label}: ${m.mountPath} is not HOST_DIR itself`);
      t.notOk(path.relative(hostPath, hostDir) === '' || !path.relative(hostPath, hostDir).startsWith('..'), `${label}: ${m.mountPath} (${hostPath}) does not contain HOST_DIR (${hostDir})`);
    }
    t.notOk(side?.env?.some((e) => e.valueFrom) || side?.envFrom, `${label}: no S3 settings passed to the sidecar`);
  }
  const r = () => render(['ci/sidecar-values.yaml'], ['daemonset.coreDirectory=/var/mnt/core-dump-handler']);
  t.throws(r, /sidecars may not see it/, 'a core directory equal to HOST_DIR cannot be given to sidecars');
});

t.test('RBAC: create Events (cluster-wide), get this DaemonSet (own namespace), nothing else', async (t) => {
  const objs = render();
  t.same(kinds(objs, 'ClusterRole')[0]?.['rules'], [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }]);
  t.same(kinds(objs, 'Role')[0]?.['rules'], [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['core-dump-handler'], verbs: ['get'] }]);
  t.equal(kinds(objs, 'Role')[0]?.metadata.namespace, 'observe');
  for (const b of [...kinds(objs, 'ClusterRoleBinding'), ...kinds(objs, 'RoleBinding')]) {
    t.same(b['subjects'], [{ kind: 'ServiceAccount', name: 'core-dump-admin', namespace: 'observe' }], `${b.kind} subject`);
  }
  // The agent's API calls, read from its source: exactly these two.
  const src = ['src/agent/events/k8s-client.ts', 'src/agent/events/daemonset-state.ts'].map((f) => fs.readFileSync(path.join(repo, f), 'utf8')).join('\n');
  const calls = [...src.matchAll(/`\$\{api\.baseUrl\}(\/[^`]+)`[^]*?method: '(\w+)'/g)].map((m) => `${m[2]} ${m[1]}`).sort();
  t.same(calls, [
    'GET /apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}',
    'POST /api/v1/namespaces/${encodeURIComponent(e.pod.namespace)}/events',
  ]);
  const off = render(['ci/no-rbac-values.yaml']);
  t.same(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].map((k) => kinds(off, k).length), [0, 0, 0, 0], 'rbac.create false: none');
});
