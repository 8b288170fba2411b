// The CRI v1 messages only the tests send: version, run/stop/remove a pod sandbox, create, start,
// stop and remove a container. Built on the shared pieces of src/cri/messages.ts (field numbers
// from kubernetes/cri-api pkg/apis/runtime/v1/api.proto), so the product bundle carries none of them.
import type { Schema } from '../../src/cri/wire.ts';
import { ContainerMetadata, ImageSpec, NamespaceOption, PodSandboxMetadata } from '../../src/cri/messages.ts';

const map = 'map' as const;
const KeyValue: Schema = { key: [1, 'string'], value: [2, 'string'] };

// ---- version (to wait for readiness) ----
export const VersionRequest: Schema = { version: [1, 'string'] };
export const VersionResponse: Schema = {
  version: [1, 'string'], runtime_name: [2, 'string'], runtime_version: [3, 'string'], runtime_api_version: [4, 'string'],
};

// ---- pod sandbox ----
const LinuxPodSandboxConfig: Schema = {
  cgroup_parent: [1, 'string'],
  security_context: [2, 'msg', { namespace_options: [1, 'msg', NamespaceOption] }],
};
export const PodSandboxConfig: Schema = {
  metadata: [1, 'msg', PodSandboxMetadata], hostname: [2, 'string'], log_directory: [3, 'string'],
  labels: [6, map], annotations: [7, map], linux: [8, 'msg', LinuxPodSandboxConfig],
};
export const RunPodSandboxRequest: Schema = { config: [1, 'msg', PodSandboxConfig], runtime_handler: [2, 'string'] };
export const RunPodSandboxResponse: Schema = { pod_sandbox_id: [1, 'string'] };
export const PodSandboxIdRequest: Schema = { pod_sandbox_id: [1, 'string'] }; // Stop/RemovePodSandboxRequest
export const Empty: Schema = {};

// ---- containers ----
export const ContainerConfig: Schema = {
  metadata: [1, 'msg', ContainerMetadata], image: [2, 'msg', ImageSpec], command: [3, 'strings'], args: [4, 'strings'],
  working_dir: [5, 'string'], envs: [6, 'msgs', KeyValue], labels: [9, map], annotations: [10, map], log_path: [11, 'string'],
  linux: [15, 'msg', { security_context: [2, 'msg', { namespace_options: [3, 'msg', NamespaceOption] }] }],
};
export const CreateContainerRequest: Schema = {
  pod_sandbox_id: [1, 'string'], config: [2, 'msg', ContainerConfig], sandbox_config: [3, 'msg', PodSandboxConfig],
};
export const ContainerIdResponse: Schema = { container_id: [1, 'string'] }; // CreateContainerResponse
export const ContainerIdRequest: Schema = { container_id: [1, 'string'] }; // Start/RemoveContainerRequest
export const StopContainerRequest: Schema = { container_id: [1, 'string'], timeout: [2, 'int64'] };
