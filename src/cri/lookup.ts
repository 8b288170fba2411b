// Crash -> pod, container and image over the CRI, within a hard time budget.
// The crashed process stays unreaped while we run (the composer calls this before draining stdin),
// so: every call has a deadline, the whole lookup races a timer, and a failure anywhere yields the
// facts found so far plus a problem, never a lost dump. It returns facts (documents as values);
// the composer decides what to keep and names the zip entries.
import { dropConfigAnnotations, redactEnv, withoutConfig } from './redact.ts';
import type { Logger } from '../shared/log.ts';
import { describeError, formatProblem, problem, type Problem } from '../shared/errors.ts';
import type { CriSettings } from './settings.ts';
import { containerFromCgroup, type CgroupMatch } from './cgroup.ts';
import { tailCriLog } from './log-tail.ts';
import type { CriClient } from './client.ts';
import type { ContainerStatusResponseView, ContainerView, PodSandboxStatusResponseView } from './messages.ts';

export interface PodMetadata {
  name: string; namespace: string; uid: string;
  labels: Record<string, string>; annotations: Record<string, string>;
}

/** A CRI status message and its verbose info (the runtime's JSON strings, parsed). */
export interface StatusDocument { status: unknown; info: unknown }

/** One container of the crashed pod: the tail of its log and its ImageStatus. */
export interface ContainerFacts { log?: Buffer; image?: { image: unknown; info: unknown } }

export interface CrashMetadata {
  hostCrash: boolean;
  containerId?: string; container?: string; image?: string; imageRef?: string;
  pod?: PodMetadata;
  /** PodSandboxStatus answered: pod.labels is the pod's label set (else it is empty, not known). */
  podLabelsKnown: boolean;
  /** ContainerStatus(verbose) of the crashed container; env values redacted unless keepEnvValues. */
  runtimeStatus?: StatusDocument;
  /** PodSandboxStatus(verbose) of its pod. */
  podStatus?: StatusDocument;
  /** ListContainers of the pod, oldest first: the order of `containers`. */
  podContainers?: { containers: unknown[] };
  containers: ContainerFacts[];
  problems: Problem[];
}

export interface LookupOptions { cgroup: string; settings: CriSettings; log: Logger; deadlineMs: number }

// Kubelet's well-known labels: a fallback when a runtime's verbose info lacks what we need.
const L_POD_NAME = 'io.kubernetes.pod.name';
const L_POD_NS = 'io.kubernetes.pod.namespace';
const L_POD_UID = 'io.kubernetes.pod.uid';
const L_CONTAINER = 'io.kubernetes.container.name';

/** gRPC codes after which more calls are pointless: the runtime is gone or not answering. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

class DeadlineError extends Error {}

/** Mutable state of one lookup; snapshot() copies it out, so late results never leak into a returned value. */
class Lookup {
  readonly meta: CrashMetadata = { hostCrash: false, podLabelsKnown: false, containers: [], problems: [] };
  runtimeDown = false;
  private readonly until: number;
  private readonly perCallMs: number;
  readonly opts: LookupOptions;

  constructor(opts: LookupOptions, started: number) {
    this.opts = opts;
    this.until = started + Math.max(0, opts.deadlineMs);
    this.perCallMs = opts.settings.callTimeoutMs;
  }

  /** Time for the next call: the per-call limit, cut to what is left of the whole budget. */
  callMs(): number {
    const left = this.until - Date.now();
    if (left <= 0) throw new DeadlineError('no time left');
    return Math.min(this.perCallMs, left);
  }

  fail(step: string, e: unknown): void {
    const code = (e as { grpcCode?: unknown }).grpcCode;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED || e instanceof DeadlineError) this.runtimeDown = true;
    this.meta.problems.push(problem('CDC_CRI_FAILED', `${step}: ${describeError(e)}`));
  }

  /** Documents are replaced, never changed, once set; the containers' slots and the pod are copied. */
  snapshot(): CrashMetadata {
    const m = this.meta;
    return {
      ...m,
      ...(m.pod ? { pod: { ...m.pod, labels: { ...m.pod.labels }, annotations: { ...m.pod.annotations } } } : {}),
      containers: m.containers.map((c) => ({ ...c })), problems: [...m.problems],
    };
  }
}

/** Runtime "info" values are JSON documents in a string map; keep them as JSON, not as strings. */
function parseInfo(info: Record<string, string> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) {
    try { out[k] = JSON.parse(v); } catch { out[k] = v; }
  }
  return out;
}

/** containerd and CRI-O both put the sandbox id in the verbose info JSON. */
function sandboxIdFromInfo(info: Record<string, unknown>): string | undefined {
  for (const v of Object.values(info)) {
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const id = o.sandboxID ?? o.sandboxId ?? o.sandbox_id;
      if (typeof id === 'string' && id) return id;
    }
  }
  return undefined;
}

async function crashedContainer(lk: Lookup, cri: CriClient, id: string): Promise<{ sandboxId?: string; podUid?: string; logPath?: string }> {
  let cs: ContainerStatusResponseView;
  try {
    cs = await cri.containerStatus(id, true, lk.callMs());
  } catch (e) {
    lk.fail('ContainerStatus', e); // e.g. removed between crash and lookup: the pod may still be found
    return {};
  }
  const info = parseInfo(cs.info);
  lk.meta.runtimeStatus = dropConfigAnnotations({ status: cs.status ?? {}, info: lk.opts.settings.keepEnvValues ? info : redactEnv(info) });
  const st = cs.status ?? {};
  const labels = st.labels ?? {};
  const m = lk.meta;
  m.container = st.metadata?.name || labels[L_CONTAINER] || undefined;
  if (st.image?.image) m.image = st.image.image;
  if (st.image_ref) m.imageRef = st.image_ref;
  // Until PodSandboxStatus answers, the kubelet's container labels name the pod (labels unknown).
  if (labels[L_POD_NAME] && labels[L_POD_NS]) {
    m.pod = { name: labels[L_POD_NAME], namespace: labels[L_POD_NS], uid: labels[L_POD_UID] ?? '', labels: {}, annotations: {} };
  }
  const out: { sandboxId?: string; podUid?: string; logPath?: string } = {};
  const sandboxId = sandboxIdFromInfo(info);
  if (sandboxId) out.sandboxId = sandboxId;
  if (labels[L_POD_UID]) out.podUid = labels[L_POD_UID];
  if (st.log_path) out.logPath = st.log_path;
  return out;
}

/** Without a sandbox id (no verbose info, or the container is gone): ask by container id, then by pod uid. */
async function findSandbox(lk: Lookup, cri: CriClient, id: string, podUid: string | undefined, containerKnown: boolean): Promise<string | undefined> {
  if (containerKnown) {
    try {
      const [c] = await cri.listContainers({ id }, lk.callMs());
      if (c?.pod_sandbox_id) return c.pod_sandbox_id;
    } catch (e) {
      lk.fail('ListContainers(id)', e);
      if (lk.runtimeDown) return undefined;
    }
  }
  if (!podUid) return undefined;
  try {
    const pods = await cri.listPodSandbox({ label_selector: { [L_POD_UID]: podUid } }, lk.callMs());
    // prefer a ready sandbox, then the newest (a restarted pod keeps its uid)
    pods.sort((a, b) => Number(a.state === 'SANDBOX_READY') - Number(b.state === 'SANDBOX_READY') || Number(BigInt(a.created_at ?? '0') - BigInt(b.created_at ?? '0')));
    return pods.at(-1)?.id;
  } catch (e) {
    lk.fail('ListPodSandbox(uid)', e);
    return undefined;
  }
}

async function podStatus(lk: Lookup, cri: CriClient, sandboxId: string): Promise<void> {
  let ps: PodSandboxStatusResponseView;
  try {
    ps = await cri.podSandboxStatus(sandboxId, true, lk.callMs());
  } catch (e) {
    lk.fail('PodSandboxStatus', e);
    return;
  }
  lk.meta.podStatus = dropConfigAnnotations({ status: ps.status ?? {}, info: parseInfo(ps.info) });
  const md = ps.status?.metadata ?? {};
  lk.meta.pod = {
    name: md.name ?? '', namespace: md.namespace ?? '', uid: md.uid ?? '',
    labels: { ...(ps.status?.labels ?? {}) }, annotations: withoutConfig(ps.status?.annotations ?? {}),
  };
  lk.meta.podLabelsKnown = true;
}

/** The pod's container list and, for each container N of it, its log tail and image status. */
async function podContainers(lk: Lookup, cri: CriClient, sandboxId: string, crashedId: string, crashedLogPath: string | undefined): Promise<void> {
  let list: ContainerView[];
  try {
    list = await cri.listContainers({ pod_sandbox_id: sandboxId }, lk.callMs());
  } catch (e) {
    lk.fail('ListContainers(pod)', e);
    return;
  }
  // oldest first, so N is stable across crashes of the same pod
  list.sort((a, b) => Number(BigInt(a.created_at ?? '0') - BigInt(b.created_at ?? '0')) || (a.id ?? '').localeCompare(b.id ?? ''));
  lk.meta.podContainers = { containers: list };
  const slots: ContainerFacts[] = list.map(() => ({}));
  lk.meta.containers = slots;
  const { logLines } = lk.opts.settings;
  await Promise.all(list.map(async (c, n) => {
    const slot = slots[n]!;
    const id = c.id ?? '';
    const image = c.image_ref || c.image?.image;
    const imageP = image
      ? cri.imageStatus(image, false, lk.callMs()).then(
          (r) => { slot.image = { image: r.image ?? null, info: parseInfo(r.info as Record<string, string> | undefined) }; },
          (e) => lk.fail(`ImageStatus(${n})`, e))
      : Promise.resolve();
    const logP = (async () => {
      if (logLines <= 0) return;
      let logPath = id === crashedId ? crashedLogPath : undefined;
      if (!logPath) {
        try {
          logPath = (await cri.containerStatus(id, false, lk.callMs())).status?.log_path;
        } catch (e) {
          lk.fail(`ContainerStatus(${n})`, e);
          return;
        }
      }
      if (!logPath) return;
      try {
        slot.log = await tailCriLog(logPath, logLines);
      } catch (e) {
        lk.meta.problems.push(problem('CDC_CRI_LOG_UNREADABLE', `container ${n} (${c.metadata?.name ?? id}): ${describeError(e)}`));
      }
    })();
    await Promise.all([imageP, logP]);
  }));
}

async function run(lk: Lookup, match: CgroupMatch, setClient: (c: CriClient) => void): Promise<void> {
  const { CriClient: Ctor } = await import('./client.ts'); // grpc-js loads only when a container crashed
  const cri = new Ctor(lk.opts.settings.endpoint);
  setClient(cri);
  const id = match.containerId;
  const found = await crashedContainer(lk, cri, id);
  if (lk.runtimeDown) return;
  const sandboxId = found.sandboxId ?? (await findSandbox(lk, cri, id, found.podUid ?? match.podUid, lk.meta.runtimeStatus !== undefined));
  if (!sandboxId || lk.runtimeDown) return;
  await Promise.all([podStatus(lk, cri, sandboxId), podContainers(lk, cri, sandboxId, id, found.logPath)]);
}

export async function lookupCrash(opts: LookupOptions): Promise<CrashMetadata> {
  const started = Date.now();
  const lk = new Lookup(opts, started);
  const match = containerFromCgroup(opts.cgroup);
  if (!match) {
    lk.meta.hostCrash = true; // still dumped; nothing to ask the runtime
    return lk.snapshot();
  }
  lk.meta.containerId = match.containerId;
  if (opts.settings.skipRuntime) return lk.snapshot();

  let client: CriClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, opts.deadlineMs));
  });
  try {
    const outcome = await Promise.race([
      run(lk, match, (c) => { client = c; }).then(() => 'done' as const, (e: unknown) => { lk.fail('lookup', e); return 'done' as const; }),
      timeout,
    ]);
    if (outcome === 'timeout') lk.meta.problems.push(problem('CDC_CRI_DEADLINE', `lookup stopped after ${opts.deadlineMs} ms`));
  } finally {
    clearTimeout(timer);
    try { client?.close(); } catch { /* closing must never cost the dump */ }
  }
  const result = lk.snapshot();
  const ms = Date.now() - started;
  const fields = { containerId: result.containerId, pod: result.pod?.name, namespace: result.pod?.namespace, container: result.container, ms, problems: result.problems.length };
  const first = result.problems[0];
  if (first) opts.log.warn({ event: 'CriLookupIncomplete', code: first.code, ...fields, firstProblem: formatProblem(first) }, 'CRI lookup incomplete; dumping with what was found');
  else opts.log.debug({ event: 'CriLookupCompleted', ...fields }, 'CRI lookup completed');
  return result;
}
