// The CRI v1 request messages the node harness sends to run a pod as the kubelet does: the
// product's own schemas (src/cri/messages.ts) carry only what the composer reads, so the fields a
// kubelet sets for a privileged hostPath pod (mounts, resources, privilege, user, read-only root)
// are declared here. Field numbers: kubernetes/cri-api pkg/apis/runtime/v1/api.proto.
import type { Schema } from '../../src/cri/wire.ts';

const map = 'map' as const;
const NamespaceMode = ['POD', 'CONTAINER', 'NODE', 'TARGET'] as const;
const MountPropagation = ['PROPAGATION_PRIVATE', 'PROPAGATION_HOST_TO_CONTAINER', 'PROPAGATION_BIDIRECTIONAL'] as const;
const NamespaceOption: Schema = { network: [1, 'enum', NamespaceMode], pid: [2, 'enum', NamespaceMode], ipc: [3, 'enum', NamespaceMode] };
const Int64Value: Schema = { value: [1, 'int64'] };
const KeyValue: Schema = { key: [1, 'string'], value: [2, 'string'] };

export const PodSandboxConfig: Schema = {
  metadata: [1, 'msg', { name: [1, 'string'], uid: [2, 'string'], namespace: [3, 'string'], attempt: [4, 'uint32'] }],
  hostname: [2, 'string'], log_directory: [3, 'string'], labels: [6, map], annotations: [7, map],
  linux: [8, 'msg', {
    cgroup_parent: [1, 'string'],
    security_context: [2, 'msg', { namespace_options: [1, 'msg', NamespaceOption], privileged: [6, 'bool'] }],
  }],
};

const LinuxContainerResources: Schema = {
  cpu_period: [1, 'int64'], cpu_quota: [2, 'int64'], cpu_shares: [3, 'int64'], memory_limit_in_bytes: [4, 'int64'],
};
const LinuxContainerSecurityContext: Schema = {
  privileged: [2, 'bool'], namespace_options: [3, 'msg', NamespaceOption], run_as_user: [5, 'msg', Int64Value],
  readonly_rootfs: [7, 'bool'], run_as_group: [12, 'msg', Int64Value],
};
export const ContainerConfig: Schema = {
  metadata: [1, 'msg', { name: [1, 'string'], attempt: [2, 'uint32'] }],
  image: [2, 'msg', { image: [1, 'string'], user_specified_image: [18, 'string'] }],
  command: [3, 'strings'], args: [4, 'strings'], working_dir: [5, 'string'], envs: [6, 'msgs', KeyValue],
  mounts: [7, 'msgs', {
    container_path: [1, 'string'], host_path: [2, 'string'], readonly: [3, 'bool'], propagation: [5, 'enum', MountPropagation],
  }],
  labels: [9, map], annotations: [10, map], log_path: [11, 'string'],
  linux: [15, 'msg', { resources: [1, 'msg', LinuxContainerResources], security_context: [2, 'msg', LinuxContainerSecurityContext] }],
};

export const RunPodSandboxRequest: Schema = { config: [1, 'msg', PodSandboxConfig] };
export const RunPodSandboxResponse: Schema = { pod_sandbox_id: [1, 'string'] };
export const CreateContainerRequest: Schema = {
  pod_sandbox_id: [1, 'string'], config: [2, 'msg', ContainerConfig], sandbox_config: [3, 'msg', PodSandboxConfig],
};
export const CreateContainerResponse: Schema = { container_id: [1, 'string'] };
