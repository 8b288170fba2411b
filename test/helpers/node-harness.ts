// Runs a pod the chart rendered on the tests' real containerd, through CRI, the way a kubelet
// would: image taken from the node (imported from the built archive), command/args, env resolved
// from the rendered objects (pod-env.ts), hostPath volumes and mounts, privilege and user, CPU and
// memory limits, the service account token mounted where the kubelet mounts it, and the probes
// polled on their own schedule. Whatever the harness cannot honour throws (a test failure).
// One deliberate difference: no CNI here, so the pod shares the node's network namespace (its
// port is the node's port); the chart asks for no host network, and the agent does not care.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { K8sObject } from '../chart/render.ts';
import { removePodCgroups, type TestContainerd } from './containerd.ts';
import type { ApiServer } from './api-server.ts';
import { podEnv, type PodFacts } from './pod-env.ts';
import { agentPod, type Probe, type RenderedContainer, type RenderedPodSpec } from './rendered-pod.ts';
import * as S from './cri-pod-schema.ts';

const CALL_MS = 60_000;
const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const POD_KEYS = new Set(['containers', 'serviceAccountName', 'volumes', 'terminationGracePeriodSeconds', 'nodeSelector', 'tolerations', 'affinity', 'imagePullSecrets', 'priorityClassName', 'automountServiceAccountToken']);
const CONTAINER_KEYS = new Set(['name', 'image', 'imagePullPolicy', 'command', 'args', 'env', 'envFrom', 'ports', 'volumeMounts', 'securityContext', 'resources', 'livenessProbe', 'readinessProbe']);

export class HarnessCannotHonour extends Error {
  override name = 'HarnessCannotHonour';
}

/** Imports an OCI archive into containerd's CRI namespace under the name the pod spec asks for. */
export function importImage(ctd: TestContainerd, archive: string, image: string): void {
  const repo = image.replace(/[:@][^/]*$/, '');
  const out = execFileSync('ctr', ['--address', ctd.socket, '-n', 'k8s.io', 'images', 'import', '--base-name', repo, archive], { encoding: 'utf8' });
  const imported = /unpacking (\S+) /.exec(out)?.[1] ?? execFileSync('ctr', ['--address', ctd.socket, '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith(`${repo}:`));
  if (!imported) throw new Error(`import of ${archive} named no image: ${out}`);
  if (imported !== image) execFileSync('ctr', ['--address', ctd.socket, '-n', 'k8s.io', 'images', 'tag', '--force', imported, image], { stdio: 'ignore' });
}

/** Kubernetes quantities as the kubelet reads them: CPU in millicores, memory in bytes. */
export function milliCpu(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}
export function bytesOf(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new HarnessCannotHonour(`memory quantity ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

export interface ProbeState { ready: boolean; readySinceMs: number | undefined; livenessFailures: number; results: { kind: string; ok: boolean; atMs: number }[] }

export interface ChartPod {
  name: string;
  uid: string;
  containerId: string;
  /** When StartContainer returned (ms since epoch). */
  startedAt: number;
  probes: ProbeState;
  port: number;
  logLines(): Record<string, any>[];
  get(pathname: string): Promise<{ status: number; text: string }>;
  waitReady(timeoutMs: number): Promise<number>;
  /** SIGTERM with the pod's grace period (then SIGKILL), as a deleted pod gets; returns the exit code. */
  stop(): Promise<number>;
}

function check(obj: object, allowed: Set<string>, what: string): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) throw new HarnessCannotHonour(`${what}.${k} is not honoured by the node harness`);
}

/** The CRI mounts for a container: its hostPath volume mounts plus the service account token. */
function mounts(pod: RenderedPodSpec, c: RenderedContainer, saDir: string | undefined) {
  const out = (c.volumeMounts ?? []).map((m) => {
    const vol = pod.volumes.find((v) => v.name === m.name);
    if (!vol?.hostPath) throw new HarnessCannotHonour(`volume ${m.name}: only hostPath volumes are honoured`);
    const { path: hostPath, type } = vol.hostPath;
    if (type === 'DirectoryOrCreate') fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    else if (type === 'Directory' && !fs.statSync(hostPath, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`hostPath ${hostPath} is not a directory (the kubelet would fail the pod)`);
    else if (type !== undefined && type !== '' && type !== 'Directory') throw new HarnessCannotHonour(`hostPath type ${type}`);
    const sub = m.subPath ? path.join(hostPath, m.subPath) : hostPath;
    if (!sub.startsWith(hostPath)) throw new Error(`subPath ${m.subPath} escapes ${hostPath}`);
    if (m.subPath) fs.mkdirSync(sub, { recursive: true });
    return { container_path: m.mountPath, host_path: sub, readonly: m.readOnly === true };
  });
  if (saDir) out.push({ container_path: SA_MOUNT, host_path: saDir, readonly: true });
  return out;
}

function resources(c: RenderedContainer) {
  const r = c.resources ?? {};
  const out: Record<string, string> = {};
  if (r.limits?.cpu) { out.cpu_period = '100000'; out.cpu_quota = String(Math.round(milliCpu(r.limits.cpu) * 100)); }
  if (r.requests?.cpu) out.cpu_shares = String(Math.max(2, Math.round(milliCpu(r.requests.cpu) * 1024 / 1000)));
  if (r.limits?.memory) out.memory_limit_in_bytes = String(bytesOf(r.limits.memory));
  return out;
}

/** One kubelet-style prober: initialDelaySeconds, then every periodSeconds with timeoutSeconds. */
function startProber(kind: 'readiness' | 'liveness', p: Probe, port: (name: string | number) => number, state: ProbeState, t0: number): () => void {
  if (!p.httpGet) throw new HarnessCannotHonour(`${kind}Probe: only httpGet is honoured`);
  const { path: probePath } = p.httpGet;
  const portNo = port(p.httpGet.port);
  const period = (p.periodSeconds ?? 10) * 1000;
  const failAfter = p.failureThreshold ?? 3;
  const okAfter = p.successThreshold ?? 1;
  let fails = 0;
  let oks = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    let ok = false;
    try {
      const res = await fetch(`http://127.0.0.1:${portNo}${probePath}`, { signal: AbortSignal.timeout((p.timeoutSeconds ?? 1) * 1000) });
      await res.arrayBuffer();
      ok = res.status >= 200 && res.status < 400;
    } catch { ok = false; }
    if (stopped) return;
    state.results.push({ kind, ok, atMs: Date.now() - t0 });
    if (ok) { oks++; fails = 0; } else { fails++; oks = 0; }
    if (kind === 'readiness') {
      if (!state.ready && oks >= okAfter) { state.ready = true; state.readySinceMs ??= Date.now() - t0; }
      if (state.ready && fails >= failAfter) state.ready = false;
    } else if (fails >= failAfter) {
      state.livenessFailures++;
      fails = 0;
    }
    timer = setTimeout(() => void once(), period);
  };
  timer = setTimeout(() => void once(), (p.initialDelaySeconds ?? 0) * 1000);
  return () => { stopped = true; clearTimeout(timer); };
}

/** Parses the CRI log file ("<time> <stream> <P|F> <text>") into the agent's JSON lines. */
function criJsonLines(file: string): Record<string, any>[] {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  const out: Record<string, any>[] = [];
  let partial = '';
  for (const line of text.split('\n')) {
    const m = /^\S+ (stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (!m) continue;
    partial += m[3];
    if (m[2] === 'P') continue;
    try { out.push(JSON.parse(partial)); } catch { /* not a JSON line */ }
    partial = '';
  }
  return out;
}

export interface RunOptions {
  ctd: TestContainerd;
  /** The chart's rendered objects (plus any the user brings, e.g. an external Secret). */
  objects: K8sObject[];
  api: ApiServer;
  nodeName: string;
}

/** Runs the DaemonSet's pod as the kubelet would on this node (a new pod name and uid each time). */
export async function runChartPod(o: RunOptions): Promise<ChartPod> {
  const { ds, pod, labels } = agentPod(o.objects);
  check(pod, POD_KEYS, 'spec.template.spec');
  if (pod.containers.length !== 1) throw new HarnessCannotHonour(`${pod.containers.length} containers (the harness runs the agent alone)`);
  const c = pod.containers[0]!;
  check(c, CONTAINER_KEYS, `containers[${c.name}]`);
  if ((c as { imagePullPolicy?: string }).imagePullPolicy === 'Always') throw new HarnessCannotHonour('imagePullPolicy Always: no registry is reachable');
  for (const [k, v] of Object.entries((pod as { nodeSelector?: Record<string, string> }).nodeSelector ?? {})) {
    if (!(k === 'kubernetes.io/os' && v === 'linux')) throw new HarnessCannotHonour(`nodeSelector ${k}=${v}`);
  }
  const namespace = ds.metadata.namespace ?? 'default';
  const uid = randomUUID();
  const name = `${ds.metadata.name}-${uid.slice(0, 5)}`;
  const facts: PodFacts = { name, namespace, uid, nodeName: o.nodeName, podIP: '127.0.0.1', hostIP: '127.0.0.1', serviceAccountName: pod.serviceAccountName };
  // The kubelet's service variables for the API server come first; the container's own env wins.
  const env = { ...o.api.env, KUBERNETES_SERVICE_PORT_HTTPS: o.api.env.KUBERNETES_SERVICE_PORT, ...podEnv(c, o.objects, facts) };
  const saDir = pod.automountServiceAccountToken === false ? undefined : o.api.saDir;
  const ns = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
  const privileged = c.securityContext?.privileged === true;
  const logDir = `${o.ctd.dir}/pods/${namespace}_${name}_${uid}`;
  fs.mkdirSync(logDir, { recursive: true });
  const sandbox = {
    metadata: { name, uid, namespace, attempt: 0 }, log_directory: logDir,
    labels: { ...labels, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
    annotations: {},
    linux: { cgroup_parent: `/kubepods/burstable/pod${uid}`, security_context: { namespace_options: ns, privileged } },
  };
  const cri = o.ctd.cri;
  const { pod_sandbox_id: sandboxId } = await cri.unary<{ pod_sandbox_id: string }>('RuntimeService', 'RunPodSandbox', S.RunPodSandboxRequest, S.RunPodSandboxResponse, { config: sandbox }, CALL_MS);
  const sc = c.securityContext ?? {};
  const config = {
    metadata: { name: c.name, attempt: 0 }, image: { image: c.image, user_specified_image: c.image },
    command: c.command ?? [], args: c.args ?? [], envs: Object.entries(env).map(([key, value]) => ({ key, value })),
    mounts: mounts(pod, c, saDir), log_path: `${c.name}/0.log`,
    labels: { 'io.kubernetes.container.name': c.name, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
    linux: {
      resources: resources(c),
      security_context: {
        privileged, namespace_options: ns, readonly_rootfs: sc.readOnlyRootFilesystem === true,
        ...(sc.runAsUser !== undefined ? { run_as_user: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { run_as_group: { value: sc.runAsGroup } } : {}),
      },
    },
  };
  const { container_id: containerId } = await cri.unary<{ container_id: string }>('RuntimeService', 'CreateContainer', S.CreateContainerRequest, S.CreateContainerResponse,
    { pod_sandbox_id: sandboxId, config, sandbox_config: sandbox }, CALL_MS);
  await cri.startContainer(containerId, CALL_MS);
  const startedAt = Date.now();

  const port = (p: string | number) => {
    if (typeof p === 'number') return p;
    const found = c.ports?.find((x) => x.name === p);
    if (!found) throw new HarnessCannotHonour(`probe port ${p} names no container port`);
    return found.containerPort;
  };
  const probes: ProbeState = { ready: false, readySinceMs: undefined, livenessFailures: 0, results: [] };
  const stops = [
    ...(c.readinessProbe ? [startProber('readiness', c.readinessProbe, port, probes, startedAt)] : []),
    ...(c.livenessProbe ? [startProber('liveness', c.livenessProbe, port, probes, startedAt)] : []),
  ];
  const metricsPort = port('metrics');
  return {
    name, uid, containerId, startedAt, probes, port: metricsPort,
    logLines: () => criJsonLines(`${logDir}/${c.name}/0.log`),
    async get(p) {
      const res = await fetch(`http://127.0.0.1:${metricsPort}${p}`, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, text: await res.text() };
    },
    async waitReady(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (!probes.ready) {
        const st = (await cri.containerStatus(containerId, false, CALL_MS)).status;
        if (st?.state === 'CONTAINER_EXITED') throw new Error(`agent exited (${st.exit_code}) before Ready: ${JSON.stringify(criJsonLines(`${logDir}/${c.name}/0.log`).slice(-5))}`);
        if (Date.now() > until) throw new Error(`not Ready after ${timeoutMs} ms; probes ${JSON.stringify(probes.results.slice(-4))}; log ${JSON.stringify(criJsonLines(`${logDir}/${c.name}/0.log`).slice(-5))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return probes.readySinceMs ?? 0;
    },
    async stop() {
      stops.forEach((s) => s());
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      await cri.stopContainer(containerId, grace, (grace + 30) * 1000);
      const st = (await cri.containerStatus(containerId, false, CALL_MS)).status;
      if (st?.state !== 'CONTAINER_EXITED') throw new Error(`agent container ${st?.state} after StopContainer`);
      await cri.removeContainer(containerId, CALL_MS);
      await cri.stopPodSandbox(sandboxId, CALL_MS);
      await cri.removePodSandbox(sandboxId, CALL_MS);
      removePodCgroups(new Set([uid]), 'burstable');
      return Number(st.exit_code ?? 0); // proto3 leaves a 0 out of the message
    },
  };
}
