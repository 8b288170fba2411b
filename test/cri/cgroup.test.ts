// /proc/<pid>/cgroup shapes seen on real nodes -> container id and pod uid.
import t from 'tap';
import { containerFromCgroup } from '../../src/cri/cgroup.ts';

const ID = '3f1c2b9e8d7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10';
const ID2 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const UID = '6f1b5e0a-93c4-4d0e-9a55-2f0d3c7b8a91';
const UID_ = UID.replace(/-/g, '_');

const cases: [string, string, { containerId: string; podUid?: string } | undefined][] = [
  ['v2 systemd containerd', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope\n`,
    { containerId: ID, podUid: UID }],
  ['v2 systemd guaranteed QoS (no qos slice)', `0::/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope\n`,
    { containerId: ID, podUid: UID }],
  ['v2 systemd CRI-O', `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${ID}.scope\n`,
    { containerId: ID, podUid: UID }],
  ['v2 systemd docker (cri-dockerd)', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/docker-${ID}.scope\n`,
    { containerId: ID, podUid: UID }],
  ['v2 cgroupfs', `0::/kubepods/besteffort/pod${UID}/${ID}\n`, { containerId: ID, podUid: UID }],
  ['v2 cgroupfs guaranteed', `0::/kubepods/pod${UID}/${ID}\n`, { containerId: ID, podUid: UID }],
  ['v2 static pod (32-hex uid)', `0::/kubepods/burstable/pod0123456789abcdef0123456789abcdef/${ID}\n`,
    { containerId: ID, podUid: '0123456789abcdef0123456789abcdef' }],
  ['v2 process in a sub-cgroup of its container (systemd inside)', `0::/kubepods/besteffort/pod${UID}/${ID}/init.scope\n`,
    { containerId: ID, podUid: UID }],
  ['kind node: nested containerd, literal systemd cgroupsPath',
    `0::/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}\n`, { containerId: ID, podUid: UID }],
  ['v1 cgroupfs (every controller)', [
    `12:hugetlb:/kubepods/burstable/pod${UID}/${ID}`, `11:memory:/kubepods/burstable/pod${UID}/${ID}`,
    `1:name=systemd:/kubepods/burstable/pod${UID}/${ID}`, '0::/', ''].join('\n'), { containerId: ID, podUid: UID }],
  ['v1 systemd driver', [
    `10:cpu,cpuacct:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    `1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`].join('\n'),
    { containerId: ID, podUid: UID }],
  ['v1 hybrid: only some controllers moved (unified line is "/")', `4:memory:/kubepods/besteffort/pod${UID}/${ID}\n3:cpuset:/\n0::/\n`,
    { containerId: ID, podUid: UID }],
  ['plain docker, cgroupfs', `0::/docker/${ID}\n`, { containerId: ID }],
  ['docker-in-docker: outermost container is the node runtime\'s', `0::/docker/${ID}/docker/${ID2}\n`, { containerId: ID }],
  ['podman', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container\n`, { containerId: ID }],
  ['EKS/Bottlerocket-like systemd path with cri-containerd', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope/\n`,
    { containerId: ID, podUid: UID }],
  // host processes
  ['host: systemd service', '0::/system.slice/sshd.service\n', undefined],
  ['host: user session', '0::/user.slice/user-0.slice/session-3.scope\n', undefined],
  ['host: root', '0::/\n', undefined],
  ['host: v1 all root', '12:memory:/\n1:name=systemd:/init.scope\n0::/\n', undefined],
  ['CRI-O conmon is not a container', `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-conmon-${ID}.scope\n`, undefined],
  ['pod cgroup itself (no container element)', `0::/kubepods/besteffort/pod${UID}\n`, undefined],
  ['63 hex is not an id', `0::/kubepods/besteffort/pod${UID}/${ID.slice(1)}\n`, undefined],
  ['upper-case hex is not an id', `0::/docker/${ID.toUpperCase()}\n`, undefined],
  ['empty text', '', undefined],
  ['garbage', 'not a cgroup file\n::\n', undefined],
];

for (const [name, text, want] of cases) {
  t.test(name, async (t) => t.same(containerFromCgroup(text), want));
}

