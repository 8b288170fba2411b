// /healthz (the process answers), /readyz (core_pattern is ours and the bucket answers), /metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentMetrics } from './metrics.ts';

export interface ReadyCheck {
  ready: boolean;
  reasons: string[];
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: { port: number; host?: string; metrics: AgentMetrics; ready: () => Promise<ReadyCheck> }): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (url === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (url === '/readyz') {
      opts.ready().then(
        (r) => send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n'),
        (e) => send(503, 'application/json', JSON.stringify({ ready: false, reasons: [String(e)] }) + '\n'),
      );
      return;
    }
    if (url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (m) => send(200, opts.metrics.registry.contentType, m),
        (e) => send(500, 'text/plain', `${String(e)}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
