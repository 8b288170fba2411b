// CRI v1 client over @grpc/grpc-js with our own message codec (src/cri/wire.ts): no .proto file is
// read and no reflection library is loaded, so the bundle stays one file and the load cost small.
// Every call carries a deadline; the caller decides how long it may take. Only the calls the lookup
// makes are here; the tests' pod lifecycle calls extend this class (test/helpers/cri-client.ts).
import { Client, credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { encode, decode, type Schema, type Decoded } from './wire.ts';
import * as M from './messages.ts';

export type CriService = 'RuntimeService' | 'ImageService';

/** A failed CRI call, named by method and gRPC status (e.g. "NOT_FOUND", "DEADLINE_EXCEEDED"). */
export class CriCallError extends Error {
  readonly method: string;
  readonly grpcCode: number;
  constructor(method: string, grpcCode: number, details: string) {
    super(`${method}: ${Status[grpcCode] ?? grpcCode}: ${details}`.replace(/\s+/g, ' ').slice(0, 400));
    this.name = 'CriCallError';
    this.method = method;
    this.grpcCode = grpcCode;
  }
}

/** Accepts "unix:///path", "unix:/path" and a bare "/path" (the seed's CRIO_ENDPOINT allowed both). */
export function grpcAddress(endpoint: string): string {
  const e = endpoint.trim();
  if (e.startsWith('/')) return `unix://${e}`;
  return e;
}

export class CriClient {
  private readonly client: Client;
  readonly address: string;

  constructor(endpoint: string) {
    this.address = grpcAddress(endpoint);
    this.client = new Client(this.address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      // A private subchannel: close() really closes the socket, so a short-lived composer exits.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
    });
  }

  unary<T>(service: CriService, method: string, req: Schema, res: Schema, body: Decoded, timeoutMs: number): Promise<T> {
    const path = `/runtime.v1.${service}/${method}`;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Decoded, Decoded>(
        path,
        (v) => encode(req, v),
        (b) => decode(res, b),
        body,
        new Metadata(),
        { deadline: Date.now() + Math.max(1, timeoutMs) },
        (err: ServiceError | null, value?: Decoded) => {
          if (err) reject(new CriCallError(method, err.code, err.details || err.message));
          else resolve((value ?? {}) as T);
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }

  containerStatus(containerId: string, verbose: boolean, timeoutMs: number): Promise<M.ContainerStatusResponseView & Decoded> {
    return this.unary('RuntimeService', 'ContainerStatus', M.ContainerStatusRequest, M.ContainerStatusResponse, { container_id: containerId, verbose }, timeoutMs);
  }
  podSandboxStatus(podSandboxId: string, verbose: boolean, timeoutMs: number): Promise<M.PodSandboxStatusResponseView & Decoded> {
    return this.unary('RuntimeService', 'PodSandboxStatus', M.PodSandboxStatusRequest, M.PodSandboxStatusResponse, { pod_sandbox_id: podSandboxId, verbose }, timeoutMs);
  }
  async listContainers(filter: Decoded, timeoutMs: number): Promise<(M.ContainerView & Decoded)[]> {
    const r = await this.unary<{ containers?: (M.ContainerView & Decoded)[] }>('RuntimeService', 'ListContainers', M.ListContainersRequest, M.ListContainersResponse, { filter }, timeoutMs);
    return r.containers ?? [];
  }
  async listPodSandbox(filter: Decoded, timeoutMs: number): Promise<(M.PodSandboxView & Decoded)[]> {
    const r = await this.unary<{ items?: (M.PodSandboxView & Decoded)[] }>('RuntimeService', 'ListPodSandbox', M.ListPodSandboxRequest, M.ListPodSandboxResponse, { filter }, timeoutMs);
    return r.items ?? [];
  }
  imageStatus(image: string, verbose: boolean, timeoutMs: number): Promise<Decoded> {
    return this.unary('ImageService', 'ImageStatus', M.ImageStatusRequest, M.ImageStatusResponse, { image: { image }, verbose }, timeoutMs);
  }
}
