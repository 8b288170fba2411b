// A stand-in for the Kubernetes API server (the issue allows it: no real control plane here):
// real TLS with its own CA written into a service-account directory (token, ca.crt, namespace) as
// the kubelet mounts it, and only the calls the agent makes: POST .../events and GET of its
// DaemonSet, each checked against the mounted token (401 otherwise, as the API server would).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Seen { method: string; url: string; auth: string; body: Record<string, any> }
export type DaemonSetMode = 'present' | 'deleting' | 'gone' | 'error';

export interface ApiServer {
  seen: Seen[];
  /** KUBERNETES_SERVICE_HOST/PORT for the pod. */
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
  saDir: string;
  /** The token it accepts; a test changes it to rotate, as the kubelet rotates the mounted file. */
  token: string;
  /** What GET daemonset answers; change it to simulate an uninstall. */
  daemonSet: DaemonSetMode;
  /** Status for POST events (201 unless a test makes it fail). */
  eventStatus: () => number;
  close(): Promise<void>;
}

export async function startApiServer(saDir: string, o: { namespace?: string; host?: string } = {}): Promise<ApiServer> {
  const host = o.host ?? '127.0.0.1';
  fs.mkdirSync(saDir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=IP:${host}`, '-keyout', path.join(saDir, 'key.pem'), '-out', path.join(saDir, 'ca.crt')], { stdio: 'ignore' });
  const key = fs.readFileSync(path.join(saDir, 'key.pem'));
  fs.rmSync(path.join(saDir, 'key.pem')); // the pod sees the CA, never the server's key
  const token = `sa-token-${process.pid}-${Date.now()}`;
  fs.writeFileSync(path.join(saDir, 'token'), `${token}\n`);
  fs.writeFileSync(path.join(saDir, 'namespace'), o.namespace ?? 'default');
  const api: ApiServer = {
    seen: [], saDir, token, daemonSet: 'present', eventStatus: () => 201,
    env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: '0' },
    close: async () => undefined,
  };
  const server = https.createServer({ key, cert: fs.readFileSync(path.join(saDir, 'ca.crt')) }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const auth = String(req.headers.authorization);
      api.seen.push({ method: req.method ?? '', url: req.url ?? '', auth, body: body ? JSON.parse(body) : {} });
      const reply = (code: number, obj: object) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
      if (auth !== `Bearer ${api.token}`) return reply(401, { kind: 'Status', reason: 'Unauthorized' });
      const ds = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && ds) {
        if (api.daemonSet === 'gone') return reply(404, { kind: 'Status', reason: 'NotFound' });
        if (api.daemonSet === 'error') return reply(503, { kind: 'Status', reason: 'ServiceUnavailable' });
        const meta = { name: ds[2], namespace: ds[1], ...(api.daemonSet === 'deleting' ? { deletionTimestamp: new Date().toISOString() } : {}) };
        return reply(200, { kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: meta });
      }
      if (req.method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(req.url ?? '')) {
        const code = api.eventStatus();
        return reply(code, code < 300 ? { kind: 'Event' } : { kind: 'Status', message: 'nope' });
      }
      reply(403, { kind: 'Status', reason: 'Forbidden', message: `${req.method} ${req.url} is not a call the agent makes` });
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  api.env.KUBERNETES_SERVICE_PORT = String((server.address() as AddressInfo).port);
  api.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return api;
}
