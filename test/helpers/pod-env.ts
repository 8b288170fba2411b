// A container's environment as the kubelet builds it from the pod spec and the objects it names:
// envFrom first, then env in order (later wins), $(VAR) expanded against what came before,
// secretKeyRef/configMapKeyRef honouring `optional` (a missing object or key is skipped when
// optional, an error otherwise), fieldRef from the pod's facts. Anything else is an error: the
// node harness must not run a pod it cannot build exactly.
import type { K8sObject } from '../chart/render.ts';

export interface PodFacts { name: string; namespace: string; uid: string; nodeName: string; podIP: string; hostIP: string; serviceAccountName: string }
interface KeyRef { name: string; key: string; optional?: boolean }
export interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef; fieldRef?: { fieldPath: string }; resourceFieldRef?: unknown } }
export interface EnvFrom { prefix?: string; secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string; optional?: boolean } }

export class PodEnvError extends Error {
  override name = 'PodEnvError';
}

/** Keys of a Secret (data base64, or stringData as rendered) or ConfigMap, by kind/name. */
function objectData(objects: K8sObject[], kind: 'Secret' | 'ConfigMap', name: string, namespace: string): Record<string, string> | undefined {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name && (x.metadata.namespace ?? namespace) === namespace);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((o['data'] ?? {}) as Record<string, string>)) out[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString() : v;
  Object.assign(out, (o['stringData'] ?? {}) as Record<string, string>);
  return out;
}

const FIELDS: Record<string, (p: PodFacts) => string> = {
  'metadata.name': (p) => p.name, 'metadata.namespace': (p) => p.namespace, 'metadata.uid': (p) => p.uid,
  'spec.nodeName': (p) => p.nodeName, 'status.podIP': (p) => p.podIP, 'status.hostIP': (p) => p.hostIP,
  'spec.serviceAccountName': (p) => p.serviceAccountName,
};

/** $(VAR) -> its value so far; $$(VAR) -> literal $(VAR); unknown references stay as written. */
function expand(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, n: string | undefined) => (m === '$$' ? '$' : env.get(n ?? '') ?? m));
}

export function podEnv(c: { env?: EnvVar[]; envFrom?: EnvFrom[] }, objects: K8sObject[], pod: PodFacts): Record<string, string> {
  const env = new Map<string, string>();
  const ref = (kind: 'Secret' | 'ConfigMap', r: KeyRef): string | undefined => {
    const data = objectData(objects, kind, r.name, pod.namespace);
    if (data?.[r.key] !== undefined) return data[r.key];
    if (r.optional) return undefined;
    throw new PodEnvError(`${kind} ${pod.namespace}/${r.name}${data ? ` has no key ${r.key}` : ' not found'} (CreateContainerConfigError)`);
  };
  for (const f of c.envFrom ?? []) {
    const [kind, r] = f.secretRef ? (['Secret', f.secretRef] as const) : f.configMapRef ? (['ConfigMap', f.configMapRef] as const) : [undefined, undefined];
    if (!kind || !r) throw new PodEnvError(`envFrom entry not understood: ${JSON.stringify(f)}`);
    const data = objectData(objects, kind, r.name, pod.namespace);
    if (!data) {
      if (r.optional) continue;
      throw new PodEnvError(`envFrom ${kind} ${pod.namespace}/${r.name} not found (CreateContainerConfigError)`);
    }
    for (const [k, v] of Object.entries(data)) if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(`${f.prefix ?? ''}${k}`)) env.set(`${f.prefix ?? ''}${k}`, v);
  }
  for (const e of c.env ?? []) {
    let v: string | undefined;
    if (e.valueFrom === undefined) v = expand(e.value ?? '', env);
    else if (e.valueFrom.secretKeyRef) v = ref('Secret', e.valueFrom.secretKeyRef);
    else if (e.valueFrom.configMapKeyRef) v = ref('ConfigMap', e.valueFrom.configMapKeyRef);
    else if (e.valueFrom.fieldRef) {
      const get = FIELDS[e.valueFrom.fieldRef.fieldPath];
      if (!get) throw new PodEnvError(`fieldRef ${e.valueFrom.fieldRef.fieldPath} not supported by the harness`);
      v = get(pod);
    } else throw new PodEnvError(`env ${e.name}: valueFrom not supported by the harness: ${JSON.stringify(e.valueFrom)}`);
    if (v !== undefined) env.set(e.name, v);
  }
  return Object.fromEntries(env);
}
