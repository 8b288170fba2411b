// Wires the agent's parts from an AgentConfig. main.ts picks the command; this file builds things.
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Env } from '../shared/config-readers.ts';
import { redact } from '../shared/config.ts';
import { codeOf, describeError, formatProblem } from '../shared/errors.ts';
import { createS3Client } from '../shared/s3-client.ts';
import { completePartialUpload } from './uploader/complete-partial.ts';
import { checkSpoolSpace } from '../shared/spool-space.ts';
import type { Logger } from '../shared/log.ts';
import { compatNoOps, type AgentConfig } from './agent-config.ts';
import { inClusterApi, postEvent, type KubeApi } from './events/k8s-client.ts';
import { checkExecMount, selfTest } from './install/host-checks.ts';
import { processRecords } from './events/records.ts';
import { AgentMetrics } from './health/metrics.ts';
import { decideOnStop, type StopDecision } from './stop-decision.ts';
import { readinessCheck } from './health/readiness.ts';
import { startHealthServer, type HealthServer } from './health/server.ts';
import { install, uninstall, type InstallResult } from './install/install.ts';
import { azureTokenSource, HOST_AZURE_TOKEN_FILE, keepTokenFresh, webIdentitySource } from './install/web-identity.ts';
import { RetryPolicy } from './retry-policy.ts';
import { singleFlight } from './single-flight.ts';
import { scanSpool } from './uploader/scan.ts';
import { startTriggers } from './uploader/triggers.ts';
import { Uploader } from './uploader/uploader.ts';
import { azureSpoolStore } from './uploader/azure-store.ts';
import { s3SpoolStore, type SpoolStore } from './uploader/store.ts';
import { createContainerClient } from '../shared/azure-blob.ts';
import type { StoreProbe } from './health/readiness.ts';

export interface AgentDeps {
  config: AgentConfig;
  env: Env;
  log: Logger;
  /** '/proc/sys' unless a test says otherwise. */
  procSys?: string;
  nodeBinary?: string;
  /** Where the Kubernetes service account token and CA live. */
  saDir?: string;
}

/** dist/cdc.cjs is shipped next to dist/agent.cjs; COMPOSER_SOURCE_DIR overrides. */
export function composerSourceDir(c: AgentConfig): string {
  return c.composerSourceDir ?? path.dirname(process.argv[1] ?? process.cwd());
}

export class Agent {
  readonly metrics = new AgentMetrics();
  readonly client: S3Client | undefined;
  readonly uploader: Uploader | undefined;
  private readonly storeProbe: StoreProbe | undefined;
  private readonly d: AgentDeps;
  private readonly procSys: string;
  private readonly stops: (() => void)[] = [];
  private health: HealthServer | undefined;
  private kube: Promise<KubeApi | undefined> | undefined;
  /** Set when a host check failed: the kernel cannot run the composer here (see host-checks.ts). */
  hostProblem: string | undefined;
  readonly processRecords: () => Promise<void>;

  constructor(d: AgentDeps, opts: { followUp: boolean }) {
    this.d = d;
    this.procSys = d.procSys ?? '/proc/sys';
    const s = d.config.shared;
    let store: SpoolStore | undefined;
    if (s.store === 'azure') {
      const container = () => createContainerClient(s.azure, { maxTries: 2, requestTimeoutMs: 120_000 });
      this.storeProbe = { what: `Azure container ${s.azure.container} did not answer`, run: async () => (await container()).getProperties() };
      store = azureSpoolStore({
        container, containerName: s.azure.container ?? '',
        keyPrefix: s.s3.keyPrefix, schedule: s.partSchedule, queueSize: s.uploadConcurrency,
      });
    } else if (s.s3.bucket) {
      this.client = createS3Client(s.s3, { maxAttempts: 2, requestTimeoutMs: 120_000 });
      store = s3SpoolStore({
        client: this.client, bucket: s.s3.bucket, keyPrefix: s.s3.keyPrefix, schedule: s.partSchedule, queueSize: s.uploadConcurrency,
        completePartial: (client, file, log) => completePartialUpload(client, file, log, { bucket: s.s3.bucket, keyPrefix: s.s3.keyPrefix }),
      });
    }
    if (store) {
      this.uploader = new Uploader({
        coreDir: s.coreDir, store, keyPrefix: s.s3.keyPrefix, minFileAgeMs: d.config.minFileAgeMs,
        log: d.log, metrics: this.metrics, retry: new RetryPolicy(d.config.retry),
        spoolCheck: (dir) => checkSpoolSpace(dir, { maxBytes: s.spoolMaxBytes, minFreeBytes: s.spoolMinFreeBytes }),
        afterPass: () => this.processRecords(),
        followUp: opts.followUp,
      });
    }
    this.processRecords = singleFlight(async () => {
      const spool = await scanSpool(s.coreDir);
      await processRecords({
        eventDir: s.eventDir, bucket: s.store === 'azure' ? s.azure.container : s.s3.bucket, store: s.store, keyPrefix: s.s3.keyPrefix, nodeName: d.config.nodeName,
        api: () => this.kubeApi(), log: d.log, metrics: this.metrics, maxAgeMs: 24 * 3600_000,
      }, spool.names);
    });
  }

  private kubeApi(): Promise<KubeApi | undefined> {
    // Re-read after a failure: the projected service account token rotates.
    this.kube ??= inClusterApi(this.d.env, this.d.saDir).catch((e) => {
      this.kube = undefined;
      throw e;
    });
    return this.kube;
  }

  logStartup(command: string): void {
    const { log, config, env } = this.d;
    log.info({ event: 'AgentStarted', command, config: redact(config.shared), intervalMs: config.intervalMs, schedule: config.schedule, useInotify: config.useInotify }, 'agent started');
    for (const w of config.warnings) log.warn({ event: 'ConfigValueIgnored', code: w.code }, formatProblem(w));
    const noOps = compatNoOps(env);
    if (Object.keys(noOps).length > 0) log.info({ event: 'CompatSettingsIgnored', settings: noOps }, 'seed settings accepted as no-ops: no crictl is needed and one composer build serves every glibc host');
  }

  async install(): Promise<InstallResult> {
    const { config, env, log } = this.d;
    const s = config.shared;
    const result = await install({
      hostDir: s.hostDir, coreDir: s.coreDir, eventDir: s.eventDir, procSys: this.procSys,
      sourceDir: composerSourceDir(config), nodeBinary: this.d.nodeBinary ?? process.execPath, env,
      suidDumpable: config.suidDumpable, corePipeLimit: config.corePipeLimit, log,
    });
    const tokenSource = webIdentitySource(env);
    if (tokenSource) this.stops.push(keepTokenFresh(tokenSource, s.hostDir, config.tokenRefreshMs, log));
    const azureSource = azureTokenSource(env);
    if (azureSource) this.stops.push(keepTokenFresh(azureSource, s.hostDir, config.tokenRefreshMs, log, HOST_AZURE_TOKEN_FILE));
    await this.checkHost();
    return result;
  }

  /**
   * Proves the kernel can run what was installed; on failure restores the host's own core_pattern
   * (its default handler beats a silent loss), stays not-Ready and posts an Event on this pod.
   * The self-test needs the real kernel, so it runs only against the real /proc/sys.
   */
  private async checkHost(): Promise<void> {
    const { config, log } = this.d;
    const hostDir = config.shared.hostDir;
    try {
      await checkExecMount(hostDir);
      if (this.procSys === '/proc/sys') {
        const r = await selfTest(hostDir);
        log.info({ event: 'HostSelfTestPassed', ...r }, 'the kernel ran the installed launcher from the host\'s view');
      }
      this.hostProblem = undefined;
    } catch (e) {
      const code = codeOf(e);
      this.hostProblem = `${code}: ${describeError(e)}`;
      log.error({ event: 'HostCheckFailed', code, err: describeError(e) }, 'the kernel cannot run the composer on this host; restoring the host\'s core_pattern');
      await this.uninstall().catch((u) => log.error({ event: 'UninstallFailed', code: codeOf(u, 'CDC_UNINSTALL_FAILED'), err: describeError(u) }, 'uninstall failed'));
      await this.postOwnEvent('HostCheckFailed', this.hostProblem);
    }
  }

  /** A Warning Event on the agent's own pod (POD_NAME, POD_NAMESPACE, POD_UID from the chart). */
  private async postOwnEvent(reason: string, message: string): Promise<void> {
    const { env, log, config } = this.d;
    if (!env.POD_NAME || !env.POD_NAMESPACE) return;
    try {
      const api = await this.kubeApi();
      if (!api) return;
      await postEvent(api, { pod: { name: env.POD_NAME, namespace: env.POD_NAMESPACE, uid: env.POD_UID ?? '' }, reason, message, type: 'Warning', node: config.nodeName, at: new Date() });
    } catch (e) {
      log.warn({ event: 'EventPostFailed', code: 'CDC_EVENT_FAILED', reason, err: describeError(e) }, 'could not post the Event on the agent pod');
    }
  }

  /** On SIGTERM: whether this is an uninstall (restore the host) or a restart (keep capture). */
  decideOnStop(): Promise<StopDecision> {
    const { env, log } = this.d;
    return decideOnStop({ daemonSet: env.DAEMONSET_NAME, namespace: env.POD_NAMESPACE, api: () => this.kubeApi(), log });
  }

  uninstall(): Promise<void> {
    return uninstall({ hostDir: this.d.config.shared.hostDir, procSys: this.procSys, log: this.d.log });
  }

  /** One pass over the spool (and the event records). */
  async sweep(trigger: string): Promise<{ failed: number; deferred: number; uploaded: number }> {
    if (!this.uploader) {
      this.d.log.warn({ event: 'SweepSkipped', code: 'CDC_S3_CONFIG' }, 'neither S3_BUCKET_NAME nor AZURE_STORAGE_CONTAINER is set; spooled dumps stay on disk');
      await this.processRecords();
      return { failed: 0, deferred: 0, uploaded: 0 };
    }
    return this.uploader.sweep(trigger);
  }

  startTriggers(): void {
    const c = this.d.config;
    this.stops.push(startTriggers({
      coreDir: c.shared.coreDir, eventDir: c.shared.eventDir, useInotify: c.useInotify, intervalMs: c.intervalMs, schedule: c.schedule,
      sweep: (t) => void this.sweep(t).catch((e) => this.d.log.error({ event: 'SweepFailed', code: codeOf(e, 'CDC_UPLOAD_FAILED'), err: describeError(e) }, 'sweep failed')),
      onRecord: () => void this.processRecords().catch(() => undefined),
      log: this.d.log,
    }));
  }

  async serve(port = this.d.config.healthPort): Promise<number> {
    const s = this.d.config.shared;
    this.health = await startHealthServer({
      port, metrics: this.metrics,
      ready: readinessCheck({ procSys: this.procSys, hostDir: s.hostDir, client: this.client, bucket: s.s3.bucket, probe: this.storeProbe, cacheMs: this.d.config.readyCacheMs, hostProblem: () => this.hostProblem }),
    });
    this.d.log.info({ event: 'HealthServerStarted', port: this.health.port }, 'serving /healthz /readyz /metrics');
    return this.health.port;
  }

  /** Stops triggers, waits for a running upload pass, closes the server. Does not uninstall. */
  async stop(): Promise<void> {
    this.stops.splice(0).forEach((s) => s());
    await this.uploader?.close();
    await this.health?.close();
    this.client?.destroy();
  }
}
