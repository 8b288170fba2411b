// Our own definitions of the few CRI v1 (package runtime.v1) messages we send or read. Field
// numbers follow kubernetes/cri-api pkg/apis/runtime/v1/api.proto; fields we never use are left
// out (the decoder skips them). Names keep the proto's snake_case so the JSON we store in the zip
// reads like the API documentation.
import type { Schema } from './wire.ts';

const map = 'map' as const;

export const NamespaceMode = ['POD', 'CONTAINER', 'NODE', 'TARGET'] as const;
export const PodSandboxState = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;
export const ContainerState = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;
const MountPropagation = ['PROPAGATION_PRIVATE', 'PROPAGATION_HOST_TO_CONTAINER', 'PROPAGATION_BIDIRECTIONAL'] as const;

// ---- shared pieces ----
const ImageSpec: Schema = {
  image: [1, 'string'], annotations: [2, map], user_specified_image: [18, 'string'],
  runtime_handler: [19, 'string'], image_ref: [20, 'string'],
};
const KeyValue: Schema = { key: [1, 'string'], value: [2, 'string'] };
const Int64Value: Schema = { value: [1, 'int64'] };
const NamespaceOption: Schema = {
  network: [1, 'enum', NamespaceMode], pid: [2, 'enum', NamespaceMode], ipc: [3, 'enum', NamespaceMode], target_id: [4, 'string'],
};
const PodSandboxMetadata: Schema = { name: [1, 'string'], uid: [2, 'string'], namespace: [3, 'string'], attempt: [4, 'uint32'] };
const ContainerMetadata: Schema = { name: [1, 'string'], attempt: [2, 'uint32'] };
const Mount: Schema = {
  container_path: [1, 'string'], host_path: [2, 'string'], readonly: [3, 'bool'], selinux_relabel: [4, 'bool'],
  propagation: [5, 'enum', MountPropagation],
};

// ---- version (used by the test helper to wait for readiness) ----
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
export const PodSandboxStatusRequest: Schema = { pod_sandbox_id: [1, 'string'], verbose: [2, 'bool'] };
const PodSandboxStatus: Schema = {
  id: [1, 'string'], metadata: [2, 'msg', PodSandboxMetadata], state: [3, 'enum', PodSandboxState],
  created_at: [4, 'int64'],
  network: [5, 'msg', { ip: [1, 'string'], additional_ips: [2, 'msgs', { ip: [1, 'string'] }] }],
  linux: [6, 'msg', { namespaces: [1, 'msg', { options: [2, 'msg', NamespaceOption] }] }],
  labels: [7, map], annotations: [8, map], runtime_handler: [9, 'string'],
};
export const ListPodSandboxRequest: Schema = {
  filter: [1, 'msg', { id: [1, 'string'], state: [2, 'msg', { state: [1, 'enum', PodSandboxState] }], label_selector: [3, map] }],
};
export const ListPodSandboxResponse: Schema = {
  items: [1, 'msgs', {
    id: [1, 'string'], metadata: [2, 'msg', PodSandboxMetadata], state: [3, 'enum', PodSandboxState],
    created_at: [4, 'int64'], labels: [5, map], annotations: [6, map], runtime_handler: [7, 'string'],
  }],
};

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
export const ContainerStatusRequest: Schema = { container_id: [1, 'string'], verbose: [2, 'bool'] };
const ContainerStatus: Schema = {
  id: [1, 'string'], metadata: [2, 'msg', ContainerMetadata], state: [3, 'enum', ContainerState],
  created_at: [4, 'int64'], started_at: [5, 'int64'], finished_at: [6, 'int64'], exit_code: [7, 'int32'],
  image: [8, 'msg', ImageSpec], image_ref: [9, 'string'], reason: [10, 'string'], message: [11, 'string'],
  labels: [12, map], annotations: [13, map], mounts: [14, 'msgs', Mount], log_path: [15, 'string'], image_id: [17, 'string'],
};
export const ContainerStatusResponse: Schema = { status: [1, 'msg', ContainerStatus], info: [2, map] };
export const PodSandboxStatusResponse: Schema = {
  status: [1, 'msg', PodSandboxStatus], info: [2, map], containers_statuses: [3, 'msgs', ContainerStatus], timestamp: [4, 'int64'],
};
export const ListContainersRequest: Schema = {
  filter: [1, 'msg', {
    id: [1, 'string'], state: [2, 'msg', { state: [1, 'enum', ContainerState] }], pod_sandbox_id: [3, 'string'], label_selector: [4, map],
  }],
};
export const ListContainersResponse: Schema = {
  containers: [1, 'msgs', {
    id: [1, 'string'], pod_sandbox_id: [2, 'string'], metadata: [3, 'msg', ContainerMetadata], image: [4, 'msg', ImageSpec],
    image_ref: [5, 'string'], state: [6, 'enum', ContainerState], created_at: [7, 'int64'], labels: [8, map],
    annotations: [9, map], image_id: [10, 'string'],
  }],
};

// ---- images ----
export const ImageStatusRequest: Schema = { image: [1, 'msg', ImageSpec], verbose: [2, 'bool'] };
export const ImageStatusResponse: Schema = {
  image: [1, 'msg', {
    id: [1, 'string'], repo_tags: [2, 'strings'], repo_digests: [3, 'strings'], size: [4, 'uint64'],
    uid: [5, 'msg', Int64Value], username: [6, 'string'], spec: [7, 'msg', ImageSpec], pinned: [8, 'bool'],
  }],
  info: [2, map],
};

// ---- TypeScript views of the decoded messages (only the fields our code reads) ----
type Labels = Record<string, string>;
export interface ImageSpecView { image?: string }
export interface ContainerStatusView {
  id?: string; metadata?: { name?: string; attempt?: number }; state?: string; image?: ImageSpecView; image_ref?: string;
  exit_code?: number; reason?: string; labels?: Labels; annotations?: Labels; log_path?: string;
}
export interface ContainerStatusResponseView { status?: ContainerStatusView; info?: Labels }
export interface PodSandboxStatusResponseView {
  status?: { id?: string; metadata?: { name?: string; uid?: string; namespace?: string }; state?: string; labels?: Labels; annotations?: Labels };
  info?: Labels;
}
export interface ContainerView {
  id?: string; pod_sandbox_id?: string; metadata?: { name?: string; attempt?: number }; image?: ImageSpecView;
  image_ref?: string; state?: string; created_at?: string; labels?: Labels;
}
export interface PodSandboxView { id?: string; state?: string; created_at?: string; labels?: Labels }
