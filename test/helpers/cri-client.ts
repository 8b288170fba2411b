// The product's CRI client plus the pod lifecycle calls the tests need to run real pods. The call,
// its deadline and the wire codec are the product's (CriClient.unary); only the methods are added.
import { CriClient } from '../../src/cri/client.ts';
import type { Decoded } from '../../src/cri/wire.ts';
import * as M from './cri-messages.ts';

export class TestCriClient extends CriClient {
  version(timeoutMs: number): Promise<Decoded> {
    return this.unary('RuntimeService', 'Version', M.VersionRequest, M.VersionResponse, { version: 'v1' }, timeoutMs);
  }
  async runPodSandbox(config: Decoded, timeoutMs: number): Promise<string> {
    const r = await this.unary<{ pod_sandbox_id?: string }>('RuntimeService', 'RunPodSandbox', M.RunPodSandboxRequest, M.RunPodSandboxResponse, { config }, timeoutMs);
    return r.pod_sandbox_id ?? '';
  }
  async stopPodSandbox(podSandboxId: string, timeoutMs: number): Promise<void> {
    await this.unary('RuntimeService', 'StopPodSandbox', M.PodSandboxIdRequest, M.Empty, { pod_sandbox_id: podSandboxId }, timeoutMs);
  }
  async removePodSandbox(podSandboxId: string, timeoutMs: number): Promise<void> {
    await this.unary('RuntimeService', 'RemovePodSandbox', M.PodSandboxIdRequest, M.Empty, { pod_sandbox_id: podSandboxId }, timeoutMs);
  }
  async createContainer(podSandboxId: string, config: Decoded, sandboxConfig: Decoded, timeoutMs: number): Promise<string> {
    const r = await this.unary<{ container_id?: string }>('RuntimeService', 'CreateContainer', M.CreateContainerRequest, M.ContainerIdResponse,
      { pod_sandbox_id: podSandboxId, config, sandbox_config: sandboxConfig }, timeoutMs);
    return r.container_id ?? '';
  }
  async startContainer(containerId: string, timeoutMs: number): Promise<void> {
    await this.unary('RuntimeService', 'StartContainer', M.ContainerIdRequest, M.Empty, { container_id: containerId }, timeoutMs);
  }
  async stopContainer(containerId: string, graceSec: number, timeoutMs: number): Promise<void> {
    await this.unary('RuntimeService', 'StopContainer', M.StopContainerRequest, M.Empty, { container_id: containerId, timeout: graceSec }, timeoutMs);
  }
  async removeContainer(containerId: string, timeoutMs: number): Promise<void> {
    await this.unary('RuntimeService', 'RemoveContainer', M.ContainerIdRequest, M.Empty, { container_id: containerId }, timeoutMs);
  }
}
