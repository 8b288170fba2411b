// Posts core.v1 Events to the in-cluster API with the pod's service account, so that
// `kubectl describe pod` shows where the dump went. No client library: one POST with undici.
import fs from 'node:fs/promises';
// undici is loaded on first use: most nodes never post an event, and idle memory matters here.
import type { Agent } from 'undici';
import type { PodRef } from '../../shared/spool/index.ts';

export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeApi {
  baseUrl: string;
  /** The projected service account token; the kubelet rotates it (about hourly), so it is read per request. */
  tokenFile: string;
  dispatcher: Agent;
}

export async function readToken(api: KubeApi): Promise<string> {
  return (await fs.readFile(api.tokenFile, 'utf8')).trim();
}

/** The in-cluster API, or undefined outside Kubernetes. Token and CA are read from saDir. */
export async function inClusterApi(env: Readonly<Record<string, string | undefined>>, saDir = SA_DIR): Promise<KubeApi | undefined> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) return undefined;
  const ca = await fs.readFile(`${saDir}/ca.crt`, 'utf8').catch(() => undefined);
  await fs.access(`${saDir}/token`); // no token: not usable, said now rather than at the first post
  const h = host.includes(':') ? `[${host}]` : host; // IPv6 service address
  const { Agent } = await import('undici');
  return { baseUrl: `https://${h}:${port}`, tokenFile: `${saDir}/token`, dispatcher: new Agent({ connect: ca ? { ca } : {}, connectTimeout: 5_000 }) };
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
  const { request } = await import('undici');
  const post = async () => {
    const res = await request(`${api.baseUrl}/api/v1/namespaces/${encodeURIComponent(e.pod.namespace)}/events`, {
      method: 'POST',
      dispatcher: api.dispatcher,
      headers: { authorization: `Bearer ${await readToken(api)}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(eventBody(e)),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  let res = await post();
  // A 401 may be a token rotated between our read and the server's check: read it again, once.
  if (res.status === 401) res = await post();
  if (res.status >= 300) throw new Error(`POST event: HTTP ${res.status} ${res.text.slice(0, 200)}`);
}
