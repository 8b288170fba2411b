// The agent's own settings, on top of the shared Config (which the composer reads too).
// Seed names (INTERVAL, SCHEDULE, USE_INOTIFY, SUID_DUMPABLE, DEPLOY_CRIO_*, VENDOR) keep their meaning
// where they still have one; the rest are ours.
import type { Problem } from '../shared/errors.ts';
import { ConfigReader, type Env } from '../shared/config-readers.ts';
import { loadConfig, type Config } from '../shared/config.ts';
import { DEFAULT_RETRY, type RetrySettings } from './retry-policy.ts';

export interface AgentConfig {
  readonly shared: Config;
  /** Sweep every INTERVAL ms; 0 = off. The seed's default was 60000. */
  readonly intervalMs: number;
  /** Cron expression (5 or 6 fields, seconds first when 6, like the seed's scheduler); '' = off. */
  readonly schedule: string;
  readonly useInotify: boolean;
  /** fs.suid_dumpable: 0, 1 or 2 (seed default 2: dumps of setuid programs, readable by root only). */
  readonly suidDumpable: number;
  /**
   * kernel.core_pipe_limit. Default 0: with N > 0 the kernel SKIPS crashes beyond N running at once;
   * the only thing N > 0 buys (/proc/<pid> kept until the helper exits) we do not need, because
   * the composer reads /proc and the CRI before it drains stdin.
   */
  readonly corePipeLimit: number;
  /** Where dist/cdc.cjs is found; default: the agent bundle's own directory. */
  readonly composerSourceDir: string | undefined;
  readonly healthPort: number;
  /** How often the host copy of a web identity token is refreshed (projected tokens rotate at 80% of their TTL, >= 10 min). */
  readonly tokenRefreshMs: number;
  /** A spooled zip whose mtime is younger than this is left for the next pass (see uploader/scan.ts). */
  readonly minFileAgeMs: number;
  /** /readyz caches the HeadBucket answer this long, so probes do not hammer S3. */
  readonly readyCacheMs: number;
  readonly retry: RetrySettings;
  readonly nodeName: string | undefined;
  readonly warnings: readonly Problem[];
}

export function loadAgentConfig(env: Env): AgentConfig {
  const { config, warnings } = loadConfig(env);
  const r = new ConfigReader(env);
  const agent: AgentConfig = {
    shared: config,
    intervalMs: r.int('INTERVAL', 60_000, 0, 7 * 24 * 3600_000),
    schedule: r.string('SCHEDULE', ''),
    useInotify: r.bool('USE_INOTIFY', true),
    suidDumpable: r.int('SUID_DUMPABLE', 2, 0, 2),
    corePipeLimit: r.int('CORE_PIPE_LIMIT', 0, 0, 1024),
    composerSourceDir: r.raw('COMPOSER_SOURCE_DIR'),
    healthPort: r.int('METRICS_PORT', 9464, 0, 65535),
    tokenRefreshMs: r.int('TOKEN_REFRESH_MS', 60_000, 1_000, 3600_000),
    minFileAgeMs: r.int('UPLOAD_MIN_FILE_AGE_MS', 2_000, 0, 3600_000),
    readyCacheMs: r.int('READY_CACHE_MS', 10_000, 0, 3600_000),
    retry: {
      baseDelayMs: r.int('RETRY_BASE_DELAY_MS', DEFAULT_RETRY.baseDelayMs, 1, 3600_000),
      maxDelayMs: r.int('RETRY_MAX_DELAY_MS', DEFAULT_RETRY.maxDelayMs, 1, 24 * 3600_000),
      factor: DEFAULT_RETRY.factor,
      jitter: DEFAULT_RETRY.jitter,
      alertAfterAttempts: DEFAULT_RETRY.alertAfterAttempts,
    },
    nodeName: r.raw('NODE_NAME'),
    warnings: Object.freeze([...warnings, ...r.warnings]),
  };
  return Object.freeze(agent);
}

/**
 * The seed-only keys, accepted and ignored (logged at start): DEPLOY_CRIO_CONFIG / DEPLOY_CRIO_EXE
 * because we talk CRI directly and need no crictl, VENDOR because one composer bundle plus the Node
 * runtime serves every glibc host.
 */
export function compatNoOps(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['DEPLOY_CRIO_CONFIG', 'DEPLOY_CRIO_EXE', 'VENDOR']) {
    const v = env[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}
