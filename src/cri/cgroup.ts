// /proc/<pid>/cgroup text -> the container (and pod) the process runs in.
// Works on the path, not the pid: a crash in a child process sits in the same container cgroup as
// PID 1, and hostNetwork pods share the host's hostname, so neither pid nor hostname can tell.
//
// Path shapes (v1 lines "N:controllers:/path", v2 line "0::/path"):
//   cgroupfs driver   /kubepods/besteffort/pod<uid>/<64hex>           (containerd, CRI-O, docker)
//   systemd driver    /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
//                       cri-containerd-<64hex>.scope | crio-<64hex>.scope | docker-<64hex>.scope
//   kind / nested     /system.slice/containerd.service/kubepods-...-pod<uid_>.slice:cri-containerd:<64hex>
//   plain docker      /docker/<64hex>                                  podman: libpod-<64hex>.scope
// CRI-O's conmon runs in crio-conmon-<id>.scope: that is the monitor, not the container.

export interface CgroupMatch {
  /** 64-hex id of the outermost container in the path (the one the node's runtime knows). */
  containerId: string;
  /** Pod UID from a pod<uid> path element, when the path has one (cgroupfs or systemd spelling). */
  podUid?: string;
}

const HEX64 = '[0-9a-f]{64}';
const ID_ELEMENT = [
  new RegExp(`^(${HEX64})$`),
  new RegExp(`^(?:cri-containerd|crio|docker|libpod|containerd)-(${HEX64})\\.scope$`),
  new RegExp(`:(?:cri-containerd|crio|docker):(${HEX64})$`),
];
// pod<uid> (cgroupfs) or kubepods[-qos]-pod<uid with - as _>.slice (systemd). Static pods have a
// 32-hex uid, API pods a UUID.
const POD_ELEMENT = [/^pod([0-9a-f-]{32,36})$/, /^kubepods(?:-[a-z]+)?-pod([0-9a-f_]{32,36})\.slice(?::|$)/];

function containerIdIn(element: string): string | undefined {
  for (const re of ID_ELEMENT) {
    const m = re.exec(element);
    if (m) return m[1];
  }
  return undefined;
}

function matchPath(path: string): CgroupMatch | undefined {
  const elements = path.split('/');
  let podUid: string | undefined;
  for (const el of elements) {
    // the kind form packs the pod slice and the id in one element: check the pod part first
    for (const re of POD_ELEMENT) {
      const pm = re.exec(el);
      if (pm) podUid = pm[1]!.replace(/_/g, '-');
    }
    const id = containerIdIn(el);
    if (id) return podUid ? { containerId: id, podUid } : { containerId: id };
  }
  return undefined;
}

/** The container of a process, or undefined for a host process. Text is /proc/<pid>/cgroup. */
export function containerFromCgroup(text: string): CgroupMatch | undefined {
  // Every hierarchy names the same container; take the first line that does (v2 "0::" or any v1).
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const hit = matchPath(line.slice(second + 1).trim());
    if (hit) return hit;
  }
  return undefined;
}
