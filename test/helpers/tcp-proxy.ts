// Fault injection: a loopback TCP proxy in front of the test S3. A real S3 cannot fail on demand,
// so tests route through this and tell it to cut every connection (and refuse new ones) once a
// given number of request bytes went through — S3 dying in the middle of an upload — to stall
// (connections stay open, nothing is forwarded, no reset: a store that stops answering), or to
// throttle the upload to a given rate.
import net from 'node:net';

export interface TcpProxy {
  readonly endpoint: string; // http://127.0.0.1:<port>
  /** Request bytes (client -> server) forwarded so far. */
  readonly bytesUp: number;
  /** After `n` more request bytes: kill all connections and refuse new ones until restore(). */
  cutAfter(n: number): void;
  /** After `n` more request bytes: stop forwarding in both directions, keep every connection open. */
  stallAfter(n: number): void;
  /** Forward request bytes at no more than `bytesPerSec` (0: no limit). */
  throttle(bytesPerSec: number): void;
  /** Forward again, at full speed. */
  restore(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let bytesUp = 0;
  let cutAt = Infinity;
  let cut = false;
  let stallAt = Infinity;
  let rate = 0;
  const held: (() => void)[] = []; // forwarding resumed by restore() after a stall

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
    const forwardUp = (chunk: Buffer) => {
      bytesUp += chunk.length;
      if (!upstream.write(chunk)) { client.pause(); upstream.once('drain', () => client.resume()); }
    };
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (bytesUp + chunk.length >= stallAt) {
        // Stalled: keep the bytes, answer nothing, reset nothing; restore() forwards them.
        client.pause();
        held.push(() => { client.resume(); forwardUp(chunk); });
        return;
      }
      if (rate > 0) {
        client.pause();
        setTimeout(() => { client.resume(); forwardUp(chunk); }, (chunk.length / rate) * 1000);
        return;
      }
      const room = cutAt - bytesUp;
      if (chunk.length >= room) {
        // Forward exactly up to the cut point, so the server sees a truncated request.
        if (room > 0) upstream.write(chunk.subarray(0, room));
        bytesUp += Math.max(room, 0);
        killAll();
        return;
      }
      forwardUp(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (bytesUp >= stallAt) { upstream.pause(); held.push(() => { upstream.resume(); client.write(chunk); }); return; }
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
    stallAfter(n) { stallAt = bytesUp + Math.max(0, n); },
    throttle(bytesPerSec) { rate = bytesPerSec; },
    restore() {
      cut = false; cutAt = Infinity; stallAt = Infinity; rate = 0;
      held.splice(0).forEach((resume) => resume());
    },
    async close() {
      killAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
