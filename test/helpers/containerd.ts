// A real containerd with its CRI plugin for tests: private socket, root, state and log dirs, images
// built locally (no registry is reachable), host-network pods (no CNI). Start it once per test file:
//   const ctd = await startContainerd(); t.teardown(() => ctd.stop());
// Cleanup runs on every path: stop() (sandboxes, containerd, its shims, mounts, kubepods cgroups),
// and a synchronous fallback on process exit or SIGINT/SIGTERM.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCriClient } from './cri-client.ts';
import type { ContainerStatusView } from '../../src/cri/messages.ts';
import type { Decoded } from '../../src/cri/wire.ts';

export const PAUSE_IMAGE = 'localhost/cdc-pause:test';
/** busybox (sh, sleep, echo) + /bin/crasher [sleepSec] which prints a line then segfaults. */
export const TOOLS_IMAGE = 'localhost/cdc-tools:test';
const CALL_MS = 60_000;

const PAUSE_C = `#include <signal.h>
#include <unistd.h>
static void bye(int s) { (void)s; _exit(0); }
int main(void) { signal(SIGTERM, bye); signal(SIGINT, bye); for (;;) pause(); }
`;
const CRASHER_C = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int c, char **v) {
  printf("crasher pid=%d\\n", getpid()); fflush(stdout);
  if (c > 1) sleep(atoi(v[1]));
  volatile int *p = 0; *p = 1; return 0;
}
`;

// ---------- images ----------

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Writes an OCI image layout tarball with one layer holding `rootfs`. */
function ociImage(name: string, rootfs: string, entrypoint: string[], out: string): void {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-oci-'));
  try {
    fs.mkdirSync(`${d}/blobs/sha256`, { recursive: true });
    const blob = (data: Buffer | string) => {
      const h = sha256(data);
      fs.writeFileSync(`${d}/blobs/sha256/${h}`, data);
      return { digest: `sha256:${h}`, size: Buffer.byteLength(data) };
    };
    // reproducible layer: sorted names, root owner, mtime 0
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', `${d}/layer`, '.']);
    const layer = blob(fs.readFileSync(`${d}/layer`));
    fs.rmSync(`${d}/layer`);
    const config = blob(JSON.stringify({
      architecture: 'amd64', os: 'linux', config: { Entrypoint: entrypoint, Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }));
    const manifest = blob(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }));
    fs.writeFileSync(`${d}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(`${d}/index.json`, JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest,
        annotations: { 'io.containerd.image.name': name }, platform: { architecture: 'amd64', os: 'linux' } }],
    }));
    execFileSync('tar', ['-C', d, '-cf', out, 'oci-layout', 'index.json', 'blobs']);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Builds (once per source version, cached in /tmp) the pause and tools image tarballs. */
export function buildTestImages(): { pause: string; tools: string } {
  const cache = path.join(os.tmpdir(), `cdc-cri-images-${sha256(PAUSE_C + CRASHER_C + 'v1').slice(0, 12)}`);
  const pause = `${cache}/pause.tar`;
  const tools = `${cache}/tools.tar`;
  if (fs.existsSync(pause) && fs.existsSync(tools)) return { pause, tools };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-img-build-'));
  try {
    fs.mkdirSync(`${work}/rp`);
    fs.mkdirSync(`${work}/rt/bin`, { recursive: true });
    fs.writeFileSync(`${work}/pause.c`, PAUSE_C);
    fs.writeFileSync(`${work}/crasher.c`, CRASHER_C);
    execFileSync('gcc', ['-static', '-O0', '-o', `${work}/rp/pause`, `${work}/pause.c`]);
    execFileSync('gcc', ['-static', '-O0', '-o', `${work}/rt/bin/crasher`, `${work}/crasher.c`]);
    fs.copyFileSync('/bin/busybox', `${work}/rt/bin/busybox`); // busybox-static: no libc needed
    fs.chmodSync(`${work}/rt/bin/busybox`, 0o755);
    for (const applet of ['sh', 'sleep', 'echo', 'cat']) fs.symlinkSync('busybox', `${work}/rt/bin/${applet}`);
    const tmp = `${cache}.tmp-${process.pid}`;
    fs.mkdirSync(tmp, { recursive: true });
    ociImage(PAUSE_IMAGE, `${work}/rp`, ['/pause'], `${tmp}/pause.tar`);
    ociImage(TOOLS_IMAGE, `${work}/rt`, ['/bin/sh'], `${tmp}/tools.tar`);
    try { fs.renameSync(tmp, cache); } catch { fs.rmSync(tmp, { recursive: true, force: true }); } // another process won the race
    return { pause, tools };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ---------- containerd ----------

function toml(dir: string, socket: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/net.d"
`;
}

export interface TestContainer {
  id: string;
  name: string;
  /** Host path of the CRI log file. */
  logPath: string;
  /** Host pid of the container's init process (from the verbose status). */
  pid(): Promise<number>;
  status(): Promise<ContainerStatusView>;
  waitExited(timeoutMs?: number): Promise<ContainerStatusView>;
  remove(): Promise<void>;
}

export interface TestPod {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  config: Decoded;
  startContainer(opts: { name: string; image?: string; command: string[]; args?: string[]; labels?: Record<string, string> }): Promise<TestContainer>;
  remove(): Promise<void>;
}

export interface TestContainerd {
  dir: string;
  socket: string;
  /** For config.criEndpoint. */
  endpoint: string;
  cri: TestCriClient;
  runPod(opts: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }): Promise<TestPod>;
  stop(): Promise<void>;
}

const NS_OPTS = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' }; // host network: no CNI; own pid namespace

function shimPids(socket: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.includes('containerd-shim')) && cmd.includes(socket)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Synchronous last-resort cleanup: everything this containerd started, its mounts, cgroups, dirs. */
function hardCleanup(dir: string, socket: string, child: ChildProcess, podUids: Set<string>): void {
  for (const pid of shimPids(socket)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  if (child.pid && child.exitCode === null && child.signalCode === null) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
  // rootfs overlays and sandbox mounts under our dir, deepest first
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir + '/')).sort((a, b) => b.length - a.length);
  for (const m of mounts) { try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* not mounted */ } }
  removePodCgroups(podUids);
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  for (const d of ['/run/containerd/s', '/run/containerd']) { try { fs.rmdirSync(d); } catch { /* in use or absent */ } }
}

/** rmdir the kubepods cgroups our pods created (cgroupfs driver), in every mounted hierarchy. */
export function removePodCgroups(podUids: Set<string>, qos = 'besteffort'): void {
  const roots = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}`)];
  for (const root of roots) {
    for (const uid of podUids) rmdirTree(`${root}/kubepods/${qos}/pod${uid}`);
    for (const d of [`${root}/kubepods/${qos}`, `${root}/kubepods`]) { try { fs.rmdirSync(d); } catch { /* shared or absent */ } }
  }
}

function rmdirTree(d: string): void {
  let kids: fs.Dirent[];
  try { kids = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
  for (const k of kids) if (k.isDirectory()) rmdirTree(`${d}/${k.name}`);
  try { fs.rmdirSync(d); } catch { /* still has tasks */ }
}

export async function startContainerd(): Promise<TestContainerd> {
  const images = buildTestImages();
  // short path: unix socket paths are limited to 108 bytes
  const dir = fs.mkdtempSync('/tmp/cdc-ctd-');
  const socket = `${dir}/containerd.sock`;
  for (const d of ['root', 'state', 'opt', 'runc', 'pods']) fs.mkdirSync(`${dir}/${d}`);
  fs.writeFileSync(`${dir}/containerd.toml`, toml(dir, socket));
  const logFd = fs.openSync(`${dir}/containerd.log`, 'a');
  // Containers inherit containerd's RLIMIT_CORE (the CRI spec sets none); a node's containerd unit
  // has LimitCORE=infinity, so give ours the same, or every crash would be skipped as "ulimit -c 0".
  const child = spawn('/bin/sh', ['-c', 'ulimit -c unlimited && exec containerd --config "$0"', `${dir}/containerd.toml`],
    { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const podUids = new Set<string>();
  let cleaned = false;
  const onExit = () => { if (!cleaned) { cleaned = true; hardCleanup(dir, socket, child, podUids); } };
  const onSignal = (sig: NodeJS.Signals) => { onExit(); process.kill(process.pid, sig); };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const cri = new TestCriClient(`unix://${socket}`);
  const stop = async () => {
    if (cleaned) return;
    try {
      if (child.exitCode === null) {
        for (const p of await cri.listPodSandbox({}, 10_000).catch(() => [])) {
          await cri.stopPodSandbox(p.id!, 30_000).catch(() => {});
          await cri.removePodSandbox(p.id!, 30_000).catch(() => {});
        }
      }
    } finally {
      cri.close();
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      onExit();
    }
  };

  try {
    const until = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`containerd exited: ${fs.readFileSync(`${dir}/containerd.log`, 'utf8').slice(-2000)}`);
      try { await cri.version(1000); break; } catch (e) { if (Date.now() > until) throw e; }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const tar of [images.pause, images.tools]) {
      execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', tar], { stdio: 'ignore' });
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const runPod: TestContainerd['runPod'] = async ({ name, namespace = 'cdc-test', labels = {}, annotations = {} }) => {
    const uid = randomUUID();
    podUids.add(uid);
    const logDir = `${dir}/pods/${namespace}_${name}_${uid}`;
    fs.mkdirSync(logDir, { recursive: true });
    const config: Decoded = {
      metadata: { name, uid, namespace, attempt: 0 },
      log_directory: logDir,
      // the labels the kubelet puts on every sandbox, plus the pod's own
      labels: { ...labels, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
      annotations,
      linux: { cgroup_parent: `/kubepods/besteffort/pod${uid}`, security_context: { namespace_options: NS_OPTS } },
    };
    const id = await cri.runPodSandbox(config, CALL_MS);
    return {
      id, name, namespace, uid, config,
      async startContainer({ name: cname, image = TOOLS_IMAGE, command, args = [], labels: clabels = {} }) {
        const cid = await cri.createContainer(id, {
          metadata: { name: cname, attempt: 0 }, image: { image }, command, args, log_path: `${cname}/0.log`,
          labels: { ...clabels, 'io.kubernetes.container.name': cname, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
          linux: { security_context: { namespace_options: NS_OPTS } },
        }, config, CALL_MS);
        await cri.startContainer(cid, CALL_MS);
        const status = async () => (await cri.containerStatus(cid, false, CALL_MS)).status ?? {};
        return {
          id: cid, name: cname, logPath: `${logDir}/${cname}/0.log`, status,
          async pid() {
            const r = await cri.containerStatus(cid, true, CALL_MS);
            return Number((JSON.parse(r.info?.info ?? '{}') as { pid?: number }).pid ?? 0);
          },
          async waitExited(timeoutMs = 20_000) {
            const until = Date.now() + timeoutMs;
            for (;;) {
              const s = await status();
              if (s.state === 'CONTAINER_EXITED') return s;
              if (Date.now() > until) throw new Error(`container ${cname} still ${s.state} after ${timeoutMs} ms`);
              await new Promise((r) => setTimeout(r, 100));
            }
          },
          async remove() {
            await cri.stopContainer(cid, 0, CALL_MS).catch(() => {});
            await cri.removeContainer(cid, CALL_MS);
          },
        };
      },
      async remove() {
        await cri.stopPodSandbox(id, CALL_MS);
        await cri.removePodSandbox(id, CALL_MS);
      },
    };
  };

  return { dir, socket, endpoint: `unix://${socket}`, cri, runPod, stop };
}

/** Waits until `file` contains `text` (container output reaches the CRI log asynchronously). */
export async function waitForLog(file: string, text: string, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let s = '';
    try { s = fs.readFileSync(file, 'utf8'); } catch { /* not yet created */ }
    if (s.includes(text)) return s;
    if (Date.now() > until) throw new Error(`${file} has no "${text}" after ${timeoutMs} ms: ${s.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { alive as processAlive };
