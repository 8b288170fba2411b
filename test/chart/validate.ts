// Validates rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models). The
// OpenShift SCC and the Prometheus Operator kinds have no model there, so their required shape is
// checked by hand.
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Service } from 'kubernetes-models/v1/Service';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { K8sObject } from './render.ts';

type Validator = (o: K8sObject) => void;
const models: Record<string, Validator> = {
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
  'v1/Secret': (o) => new Secret(o as never).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => new ClusterRole(o as never).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o) => new ClusterRoleBinding(o as never).validate(),
  'apps/v1/DaemonSet': (o) => new DaemonSet(o as never).validate(),
  'v1/Service': (o) => new Service(o as never).validate(),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o as never).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o as never).validate(),
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => requireSpec(o, ['selector', 'endpoints']),
  'monitoring.coreos.com/v1/PrometheusRule': (o) => requireSpec(o, ['groups']),
  'security.openshift.io/v1/SecurityContextConstraints': validateScc,
};

function validateScc(o: K8sObject): void {
  const need = ['allowPrivilegedContainer', 'allowHostDirVolumePlugin', 'runAsUser', 'seLinuxContext', 'users'];
  for (const k of need) if (!(k in o)) throw new Error(`SCC ${o.metadata.name} lacks ${k}`);
  if (!Array.isArray(o['users'])) throw new Error('SCC users must be a list');
}

/** Prometheus Operator kinds have no model here: their required spec fields, by hand. */
function requireSpec(o: K8sObject, keys: string[]): void {
  const spec = o['spec'] as Record<string, unknown> | undefined;
  for (const k of keys) if (!spec || !(k in spec)) throw new Error(`${o.kind} ${o.metadata.name} lacks spec.${k}`);
}

const DNS1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Throws with the object's kind/name when it is not a valid Kubernetes object of a known kind. */
export function validateObject(o: K8sObject): void {
  const key = `${o.apiVersion}/${o.kind}`;
  const v = models[key];
  if (!v) throw new Error(`unexpected kind ${key} (add a validator)`);
  if (!o.metadata?.name || !DNS1123.test(o.metadata.name) || o.metadata.name.length > 253) {
    throw new Error(`${key}: bad metadata.name ${JSON.stringify(o.metadata?.name)}`);
  }
  try {
    v(o);
  } catch (e) {
    throw new Error(`${key} ${o.metadata.name}: ${(e as Error).message}`);
  }
}
