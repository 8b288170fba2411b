// Fault injection: a loopback TCP proxy in front of the test S3. A real S3 cannot fail on demand,
// so tests route through this and tell it to cut every connection (and refuse new ones) once a
// given number of request bytes went through — S3 dying in the middle of an upload.
import net from 'node:net';

export interface TcpProxy {
  readonly endpoint: string; // http://127.0.0.1:<port>
  /** Request bytes (client -> server) forwarded so far. */
  readonly bytesUp: number;
  /** After `n` more request bytes: kill all connections and refuse new ones until restore(). */
  cutAfter(n: number): void;
  /** Forward again. */
  restore(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let bytesUp = 0;
  let cutAt = Infinity;
  let cut = false;

  const killAll = () => {
    cut = true;
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
  };

  const server = net.createServer((client) => {
    if (cut) { client.resetAndDestroy(); return; }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client); sockets.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop); upstream.on('error', drop);
    client.on('close', drop); upstream.on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      const room = cutAt - bytesUp;
      if (chunk.length >= room) {
        // Forward exactly up to the cut point, so the server sees a truncated request.
        if (room > 0) upstream.write(chunk.subarray(0, room));
        bytesUp += Math.max(room, 0);
        killAll();
        return;
      }
      bytesUp += chunk.length;
      if (!upstream.write(chunk)) { client.pause(); upstream.once('drain', () => client.resume()); }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) { upstream.pause(); client.once('drain', () => upstream.resume()); }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get bytesUp() { return bytesUp; },
    get isCut() { return cut; },
    cutAfter(n) { cutAt = bytesUp + n; if (n <= 0) killAll(); },
    restore() { cut = false; cutAt = Infinity; },
    async close() {
      killAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
