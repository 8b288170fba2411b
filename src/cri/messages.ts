// Our own definitions of the few CRI v1 (package runtime.v1) messages the lookup sends or reads.
// Field numbers follow kubernetes/cri-api pkg/apis/runtime/v1/api.proto; fields we never use are
// left out (the decoder skips them). Names keep the proto's snake_case so the JSON we store in the
// zip reads like the API documentation. The messages that only tests send (run a pod, create a
// container) are in test/helpers/cri-messages.ts, built on the shared pieces exported here.
import type { Schema } from './wire.ts';

const map = 'map' as const;

export const NamespaceMode = ['POD', 'CONTAINER', 'NODE', 'TARGET'] as const;
export const PodSandboxState = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;
export const ContainerState = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;
const MountPropagation = ['PROPAGATION_PRIVATE', 'PROPAGATION_HOST_TO_CONTAINER', 'PROPAGATION_BIDIRECTIONAL'] as const;

// ---- shared pieces ----
export const ImageSpec: Schema = {
  image: [1, 'string'], annotations: [2, map], user_specified_image: [18, 'string'],
  runtime_handler: [19, 'string'], image_ref: [20, 'string'],
};
const Int64Value: Schema = { value: [1, 'int64'] };
export const NamespaceOption: Schema = {
  network: [1, 'enum', NamespaceMode], pid: [2, 'enum', NamespaceMode], ipc: [3, 'enum', NamespaceMode], target_id: [4, 'string'],
};
export const PodSandboxMetadata: Schema = { name: [1, 'string'], uid: [2, 'string'], namespace: [3, 'string'], attempt: [4, 'uint32'] };
export const ContainerMetadata: Schema = { name: [1, 'string'], attempt: [2, 'uint32'] };
const Mount: Schema = {
  container_path: [1, 'string'], host_path: [2, 'string'], readonly: [3, 'bool'], selinux_relabel: [4, 'bool'],
  propagation: [5, 'enum', MountPropagation],
};

// ---- pod sandbox ----
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
