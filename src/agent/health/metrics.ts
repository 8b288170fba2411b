// Prometheus metrics of the agent, on a registry of its own (tests create many agents in one process).
import os from 'node:os';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentRecord } from '../../shared/spool/index.ts';

/** Label values are bounded: signals by the kernel's names, namespaces by the first MAX_NAMESPACES seen. */
const SIGNALS = new Set(Object.keys(os.constants.signals));
const MAX_NAMESPACES = 100;

export class AgentMetrics {
  readonly registry = new Registry();
  readonly uploaded = new Counter({ name: 'cdc_agent_dumps_uploaded_total', help: 'Spooled dumps (complete zips and finished partial uploads) stored in S3 and removed locally.', labelNames: ['kind'], registers: [this.registry] });
  readonly failed = new Counter({ name: 'cdc_agent_upload_failures_total', help: 'Upload attempts that failed; the dump stayed on disk for a retry.', labelNames: ['kind'], registers: [this.registry] });
  readonly retried = new Counter({ name: 'cdc_agent_upload_retries_total', help: 'Upload attempts of a dump that had failed before.', registers: [this.registry] });
  readonly bytes = new Counter({ name: 'cdc_agent_uploaded_bytes_total', help: 'Bytes of spooled dumps uploaded to S3.', registers: [this.registry] });
  readonly failing = new Gauge({ name: 'cdc_agent_dumps_failing', help: 'Dumps whose last upload attempt failed and that wait for a retry.', registers: [this.registry] });
  readonly spoolFiles = new Gauge({ name: 'cdc_agent_spool_files', help: 'Files in CORE_DIR (dumps, parts, manifests).', registers: [this.registry] });
  readonly spoolBytes = new Gauge({ name: 'cdc_agent_spool_bytes', help: 'Bytes used by files in CORE_DIR.', registers: [this.registry] });
  readonly spoolOverLimit = new Gauge({ name: 'cdc_agent_spool_over_limit', help: '1 when the spool is over SPOOL_MAX_BYTES or the disk under SPOOL_MIN_FREE_BYTES (new spools are refused).', registers: [this.registry] });
  readonly lastSuccess = new Gauge({ name: 'cdc_agent_last_upload_success_timestamp_seconds', help: 'Unix time of the last successful upload.', registers: [this.registry] });
  readonly sweeps = new Counter({ name: 'cdc_agent_sweeps_total', help: 'Passes over CORE_DIR.', labelNames: ['trigger'], registers: [this.registry] });
  readonly dumps = new Counter({ name: 'cdc_agent_dumps_total', help: 'Dumps the composer stored on this node, by storage: s3 (direct upload), spool or partial; counted from its records.', labelNames: ['storage'], registers: [this.registry] });
  readonly events = new Counter({ name: 'cdc_agent_k8s_events_total', help: 'Kubernetes Events about stored dumps, by outcome.', labelNames: ['outcome'], registers: [this.registry] });

  readonly crashes = new Counter({ name: 'cdc_agent_crashes_total', help: 'Crashes dumped on this node, by signal, namespace and whether the core was kept (rate limit).', labelNames: ['signal', 'namespace', 'core'], registers: [this.registry] });
  private readonly namespaces = new Set<string>();

  /** Counts a dump's crash once its record is done with. */
  countCrash(r: AgentRecord): void {
    const sig = r.crash?.signal ?? (typeof r.signal === 'number' ? (Object.entries(os.constants.signals).find(([, n]) => n === r.signal)?.[0] ?? null) : null);
    const ns = typeof r.pod?.namespace === 'string' ? r.pod.namespace : '';
    if (ns && this.namespaces.size < MAX_NAMESPACES) this.namespaces.add(ns);
    this.crashes.inc({
      signal: sig && SIGNALS.has(sig) ? sig : 'other',
      namespace: !ns ? 'host' : this.namespaces.has(ns) ? ns : 'other',
      core: r.crash?.coreless ? 'omitted' : 'kept',
    });
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // process_resident_memory_bytes and friends: the seed's agent was OOM-killed, so RSS is watched.
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
