// Posts core.v1 Events to the in-cluster API with the pod's service account, so that
// `kubectl describe pod` shows where the dump went. No client library: one POST with undici.
import fs from 'node:fs/promises';
// undici is loaded on first use: most nodes never post an event, and idle memory matters here.
import type { Agent } from 'undici';
import type { PodRef } from '../../shared/spool/index.ts';

export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeApi {
  baseUrl: string;
  token: string;
  dispatcher: Agent;
}

/** The in-cluster API, or undefined outside Kubernetes. Token and CA are read from saDir. */
export async function inClusterApi(env: Readonly<Record<string, string | undefined>>, saDir = SA_DIR): Promise<KubeApi | undefined> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) return undefined;
  const [token, ca] = await Promise.all([fs.readFile(`${saDir}/token`, 'utf8'), fs.readFile(`${saDir}/ca.crt`, 'utf8').catch(() => undefined)]);
  const h = host.includes(':') ? `[${host}]` : host; // IPv6 service address
  const { Agent } = await import('undici');
  return { baseUrl: `https://${h}:${port}`, token: token.trim(), dispatcher: new Agent({ connect: ca ? { ca } : {}, connectTimeout: 5_000 }) };
}


export interface CoreDumpEvent {
  pod: PodRef;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  node: string | undefined;
  at: Date;
}

export function eventBody(e: CoreDumpEvent): Record<string, unknown> {
  const ts = e.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${e.pod.name}.`, namespace: e.pod.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: e.pod.name, namespace: e.pod.namespace, uid: e.pod.uid },
    reason: e.reason,
    message: e.message.slice(0, 1024),
    type: e.type,
    source: { component: 'core-dump-handler', ...(e.node ? { host: e.node } : {}) },
    reportingComponent: 'core-dump-handler',
    reportingInstance: e.node ?? 'core-dump-handler',
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  };
}

export async function postEvent(api: KubeApi, e: CoreDumpEvent): Promise<void> {
  // Token re-read per call would cover rotation; the caller refreshes KubeApi instead (see records.ts).
  const { request } = await import('undici');
  const res = await request(`${api.baseUrl}/api/v1/namespaces/${encodeURIComponent(e.pod.namespace)}/events`, {
    method: 'POST',
    dispatcher: api.dispatcher,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(eventBody(e)),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`POST event: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
}
