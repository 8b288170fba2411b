// Whether the agent's own DaemonSet still stands: one GET with the pod's service account (the
// chart's Role allows exactly this, on this DaemonSet only). Gone (404) or carrying a
// deletionTimestamp means an uninstall; present means a restart or a rolling update.
import { readToken, type KubeApi } from './k8s-client.ts';

export type DaemonSetState = 'present' | 'deleting' | 'gone';

export async function daemonSetState(api: KubeApi, namespace: string, name: string, timeoutMs: number): Promise<DaemonSetState> {
  const { request } = await import('undici');
  const res = await request(`${api.baseUrl}/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`, {
    method: 'GET',
    dispatcher: api.dispatcher,
    headers: { authorization: `Bearer ${await readToken(api)}`, accept: 'application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  if (res.statusCode === 404) return 'gone';
  if (res.statusCode !== 200) throw new Error(`GET daemonset ${namespace}/${name}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  const ds = JSON.parse(text) as { metadata?: { deletionTimestamp?: string } };
  return ds.metadata?.deletionTimestamp ? 'deleting' : 'present';
}
