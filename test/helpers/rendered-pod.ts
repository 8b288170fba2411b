// The agent pod as the chart renders it, with each container's environment resolved the way the
// kubelet would (pod-env.ts), for chart tests and the node harness.
import type { K8sObject } from '../chart/render.ts';
import { podEnv, type EnvFrom, type EnvVar, type PodFacts } from './pod-env.ts';

export interface RenderedContainer {
  name: string; image: string; command?: string[]; args?: string[]; env?: EnvVar[]; envFrom?: EnvFrom[];
  ports?: { name: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  securityContext?: { privileged?: boolean; runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean };
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
export interface Probe { httpGet?: { path: string; port: string | number }; initialDelaySeconds?: number; periodSeconds?: number; timeoutSeconds?: number; failureThreshold?: number; successThreshold?: number }
export interface RenderedPodSpec {
  containers: RenderedContainer[]; serviceAccountName: string; terminationGracePeriodSeconds?: number;
  volumes: { name: string; hostPath?: { path: string; type?: string }; emptyDir?: object }[];
  automountServiceAccountToken?: boolean; hostNetwork?: boolean; hostPID?: boolean;
}

export function agentPod(objects: K8sObject[]): { ds: K8sObject; pod: RenderedPodSpec; labels: Record<string, string>; agent: RenderedContainer } {
  const ds = objects.find((o) => o.kind === 'DaemonSet');
  if (!ds) throw new Error('no DaemonSet rendered');
  const tpl = (ds['spec'] as { template: { metadata: { labels: Record<string, string> }; spec: RenderedPodSpec } }).template;
  const agent = tpl.spec.containers.find((c) => c.name === 'agent');
  if (!agent) throw new Error('no agent container');
  return { ds, pod: tpl.spec, labels: tpl.metadata.labels, agent };
}

export const testPodFacts = (namespace: string, over: Partial<PodFacts> = {}): PodFacts => ({
  name: 'core-dump-handler-x7k2p', namespace, uid: '0b0c0d0e-0000-4000-8000-000000000001', nodeName: 'node-1',
  podIP: '127.0.0.1', hostIP: '127.0.0.1', serviceAccountName: 'core-dump-admin', ...over,
});

/** The agent container's environment, resolved against the rendered objects plus `extra` (e.g. a user's Secret). */
export function agentEnv(objects: K8sObject[], extra: K8sObject[] = [], facts?: PodFacts): Record<string, string> {
  const { ds, agent } = agentPod(objects);
  return podEnv(agent, [...objects, ...extra], facts ?? testPodFacts(ds.metadata.namespace ?? 'default'));
}
