// Configuration for the composer and the agent: the Rust original's environment names, plus ours.
// Parsed once into a frozen object; secrets stay out of anything that is logged (see redact()).
import type { Problem } from './errors.ts';
import { ConfigReader, type Env } from './config-readers.ts';
import { DEFAULT_FIRST_PART_MIB, DEFAULT_MEMORY_MIB, DEFAULT_UPLOAD_CONCURRENCY, planMemory, type MemoryPlan } from './memory-plan.ts';
import { MAX_PARTS } from './s3-limits.ts';
import { capacityBytes, type PartSchedule } from './part-schedule.ts';

export const DEFAULT_FILENAME_TEMPLATE = '{uuid}-dump-{timestamp}-{hostname}-{exe_name}-{pid}-{signal}';
export const DEFAULT_HOST_DIR = '/var/mnt/core-dump-handler';
export const CODECS = ['deflate', 'zstd', 'store'] as const;
export type Codec = (typeof CODECS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface S3Config {
  /** Unset means no S3: dumps go to the spool directory. */
  readonly bucket: string | undefined;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  /** Prepended to every object key, e.g. "cluster-a/". */
  readonly keyPrefix: string;
}

/**
 * Azure Blob Storage (issue 15): the store is Azure when `container` is set. Credentials, first
 * that is set wins: a connection string, account + key, account + SAS token, else Workload
 * Identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, read by @azure/identity).
 */
export interface AzureConfig {
  readonly container: string | undefined;
  readonly connectionString: string | undefined;
  readonly account: string | undefined;
  readonly key: string | undefined;
  readonly sasToken: string | undefined;
  /** Emulators and sovereign clouds; default https://{account}.blob.core.windows.net. */
  readonly blobEndpoint: string | undefined;
  // Workload Identity (the names the AKS webhook injects)
  readonly clientId: string | undefined;
  readonly tenantId: string | undefined;
  readonly federatedTokenFile: string | undefined;
  readonly authorityHost: string | undefined;
}

export type StoreKind = 's3' | 'azure';

export interface Config {
  readonly logLevel: LogLevel;
  readonly hostDir: string;
  readonly coreDir: string;
  readonly eventDir: string;
  readonly filenameTemplate: string;
  // streaming
  readonly directUpload: boolean;
  readonly codec: Codec;
  readonly compressionLevel: number;
  /** COMP_MEMORY_MIB and what is derived from it (memory-plan.ts). */
  readonly memory: MemoryPlan;
  /** The first part size (memory.schedule.firstBytes): parts grow from it. */
  readonly partSizeBytes: number;
  readonly uploadConcurrency: number;
  /** Part sizes of every upload, composer and agent alike (S3_MAX_PARTS, COMP_MEMORY_MIB). */
  readonly partSchedule: PartSchedule;
  /** COMP_THREADS: compression threads at most; the composer narrows it to the cores it may use. */
  readonly threads: number;
  /** COMP_NICE: the composer's nice level (os.setPriority); 0 leaves it as the kernel started it. */
  readonly nice: number;
  /** COMP_NODE_*: the budget all composers on the host share (composer/node-budget.ts); threads 0: the node's cores. */
  readonly nodeBudget: { readonly memoryMiB: number; readonly threads: number; readonly waitMs: number };
  /** COMP_MAX_CORE_MIB: the core entry is cut beyond this many bytes; Infinity when unset. */
  readonly maxCoreBytes: number;
  /** Zip bytes held in memory while the S3 upload is being opened: cores that fit are released at once. */
  readonly earlyBufferBytes: number;
  readonly timeoutSec: number;
  /** A store that confirms nothing for this long has stalled: the rest of the dump is spooled. */
  readonly progressTimeoutMs: number;
  readonly ignoreRlimit: boolean;
  // triage (issue 13)
  /** COMP_TRIAGE: read the core as it streams by and write {name}-crash.json. */
  readonly triage: boolean;
  /** COMP_RATE_LIMIT ("3/1h"; "off"): full dumps per container per window; undefined: no limit. */
  readonly rateLimit: { readonly count: number; readonly windowSec: number } | undefined;
  /** COMP_RATE_LIMIT_HOST: limit host (non-container) crashes too, per executable. */
  readonly rateLimitHost: boolean;
  // disk safety (shared with the agent: like systemd-coredump's MaxUse / KeepFree)
  readonly spoolMaxBytes: number;
  readonly spoolMinFreeBytes: number;
  readonly logMaxBytes: number;
  // core event files (seed compatible)
  readonly coreEvents: boolean;
  readonly coreEventDir: string;
  // metadata (CRI)
  readonly ignoreCrio: boolean;
  readonly includeProcInfo: boolean;
  readonly crioImageCmd: string;
  readonly criEndpoint: string;
  readonly criTimeoutMs: number;
  readonly podSelectorLabel: string;
  readonly logLength: number;
  readonly s3: S3Config;
  readonly azure: AzureConfig;
  /** Where direct uploads and the agent's uploads go: Azure when AZURE_STORAGE_CONTAINER is set. */
  readonly store: StoreKind;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly Problem[];
}

// The seed let S3_REGION carry an S3-compatible host name ("host.mycloud.com"); keep honouring it.
function regionAndEndpoint(r: ConfigReader): { region: string; endpoint: string | undefined } {
  const region = r.raw('S3_REGION');
  let endpoint = r.raw('S3_ENDPOINT');
  if (region && /[./:]/.test(region)) {
    endpoint ??= /^https?:\/\//.test(region) ? region : `https://${region}`;
    return { region: 'us-east-1', endpoint };
  }
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    r.warn('S3_ENDPOINT', endpoint, 'the AWS endpoint', 'expected http(s)://host[:port]');
    endpoint = undefined;
  }
  return { region: region ?? 'us-east-1', endpoint };
}

function keyPrefix(r: ConfigReader): string {
  const raw = r.raw('S3_KEY_PREFIX');
  if (raw === undefined) return '';
  // Keep it a plain relative key path: no leading slash, no "..", safe characters only.
  const clean = raw
    .split('/')
    .map((s) => s.replace(/[^A-Za-z0-9._=-]/g, '_'))
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
  if (clean !== raw.replace(/^\/+|\/+$/g, '')) r.warn('S3_KEY_PREFIX', raw, JSON.stringify(clean), 'made key-safe');
  return clean === '' ? '' : `${clean}/`;
}

// COMP_RATE_LIMIT: "N/<window>" with a window in s, m, h or d; "off" or "0" for none. The default,
// 3 per hour per container, keeps the first crash and two repeats (enough to see whether it is the
// same crash) while a CrashLoopBackOff, which restarts up to 12 times an hour at its 5-minute cap
// and far more before, costs small zips only.
export const DEFAULT_RATE_LIMIT = '3/1h';
const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "3/1h" -> { count: 3, windowSec: 3600 }; "off"/"0" -> null; anything else -> undefined. */
export function parseRateLimit(raw: string): { count: number; windowSec: number } | null | undefined {
  if (raw === 'off' || raw === '0') return null;
  const m = /^(\d{1,6})\/(\d{0,6})([smhd])$/.exec(raw);
  if (!m) return undefined;
  const count = Number(m[1]), windowSec = Number(m[2] || 1) * WINDOW_UNITS[m[3]!]!;
  return count > 0 && windowSec > 0 ? { count, windowSec } : undefined;
}

function rateLimit(r: ConfigReader): { count: number; windowSec: number } | undefined {
  const raw = r.raw('COMP_RATE_LIMIT') ?? DEFAULT_RATE_LIMIT;
  const v = parseRateLimit(raw);
  if (v !== undefined) return v ?? undefined;
  r.warn('COMP_RATE_LIMIT', raw, DEFAULT_RATE_LIMIT, 'expected N/<window> such as 3/1h, or off');
  return parseRateLimit(DEFAULT_RATE_LIMIT)!;
}

// COMP_THREADS: 4 by default. One dump at 4 threads of deflate-1 (~150 MB/s each) outruns what one
// S3 upload stream sustains (~5 Gbit/s), so more threads would only take cores from the node's
// workloads (and from the crashed pod's restart); a node with fewer cores gets as many as it has.
export const DEFAULT_THREADS = 4;
// COMP_NODE_MEMORY_MIB: 1 GiB by default, for all composers on the node together: eight at the
// default COMP_MEMORY_MIB (96 MiB floor + 32 each; lean ones cost the same, on one thread). A 16-crash burst without it
// cost 1,538 MiB at 32 MiB cores and would cost ~3 GiB at large ones.
export const DEFAULT_NODE_MEMORY_MIB = 1024;
// COMP_NODE_WAIT_MS: a crashed process waiting for room is held that long at most; past it the
// composer goes on lean over the budget, since a lost dump costs more than a short overrun.
export const DEFAULT_NODE_WAIT_MS = 30_000;
// COMP_NICE: 10 by default, so the node's workloads win any contention for the CPU.
export const DEFAULT_NICE = 10;

function memoryPlan(r: ConfigReader, stored: boolean): MemoryPlan {
  const memoryMiB = r.int('COMP_MEMORY_MIB', DEFAULT_MEMORY_MIB, 16, 64 * 1024);
  const maxParts = r.int('S3_MAX_PARTS', MAX_PARTS, 2, MAX_PARTS);
  // The older knobs, when set, override what the memory setting derives.
  const given = (key: string, fallback: number, min: number, max: number) => (r.raw(key) === undefined ? undefined : r.int(key, fallback, min, max));
  return planMemory(memoryMiB, maxParts, {
    partSizeMiB: given('COMP_PART_SIZE_MIB', DEFAULT_FIRST_PART_MIB, 5, 512),
    uploadConcurrency: given('COMP_UPLOAD_CONCURRENCY', DEFAULT_UPLOAD_CONCURRENCY, 1, 16),
    // The whole memory setting by default: the bench's hold curve (hold-curve) shows a 64 MiB
    // core released at pipe speed only when the buffer holds it all (README: "Releasing the
    // crashed process").
    releaseBufferMiB: given('COMP_RELEASE_BUFFER_MIB', 0, 0, 64 * 1024),
    stored,
  });
}

/** The largest zip an upload with this config can hold (README: "Large cores"). */
export function largestZipBytes(config: Config): number {
  return capacityBytes(config.partSchedule);
}

// The Rust original's agent wrote the composer's .env without the COMP_ prefix; an old .env must
// keep working, so each COMP_ name falls back to its bare spelling.
const BARE_ALIASES = ['LOG_LEVEL', 'IGNORE_CRIO', 'INCLUDE_PROC_INFO', 'CRIO_IMAGE_CMD', 'TIMEOUT', 'COMPRESSION',
  'CORE_EVENTS', 'CORE_EVENT_DIR', 'FILENAME_TEMPLATE', 'POD_SELECTOR_LABEL', 'LOG_LENGTH'];

function withAliases(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const bare of BARE_ALIASES) {
    if (out[`COMP_${bare}`] === undefined && out[bare] !== undefined) out[`COMP_${bare}`] = out[bare];
  }
  return out;
}

export function loadConfig(rawEnv: Env): LoadedConfig {
  const env = withAliases(rawEnv);
  const r = new ConfigReader(env);
  const hostDir = r.string('HOST_DIR', DEFAULT_HOST_DIR);
  const compression = r.bool('COMP_COMPRESSION', true);
  const codec: Codec = compression ? r.oneOf('COMP_CODEC', CODECS, 'deflate') : 'store';
  const { region, endpoint } = regionAndEndpoint(r);
  const eventDir = r.string('EVENT_DIR', `${hostDir}/events`);
  const memory = memoryPlan(r, codec === 'store');
  const maxCore = r.int('COMP_MAX_CORE_MIB', 0, 0, 64 * 1024 * 1024);
  const config: Config = {
    logLevel: r.oneOf('COMP_LOG_LEVEL', LOG_LEVELS, 'warn'),
    hostDir,
    coreDir: r.string('CORE_DIR', `${hostDir}/cores`),
    eventDir,
    filenameTemplate: r.string('COMP_FILENAME_TEMPLATE', DEFAULT_FILENAME_TEMPLATE),
    directUpload: r.bool('COMP_DIRECT_UPLOAD', true),
    codec,
    compressionLevel: r.int('COMP_COMPRESSION_LEVEL', 1, 1, codec === 'zstd' ? 19 : 9),
    memory,
    partSizeBytes: memory.schedule.firstBytes,
    uploadConcurrency: memory.uploadConcurrency,
    partSchedule: memory.schedule,
    threads: r.int('COMP_THREADS', DEFAULT_THREADS, 1, 1024),
    nice: r.int('COMP_NICE', DEFAULT_NICE, -20, 19),
    nodeBudget: {
      memoryMiB: r.int('COMP_NODE_MEMORY_MIB', DEFAULT_NODE_MEMORY_MIB, 0, 1024 * 1024),
      threads: r.int('COMP_NODE_THREADS', 0, 0, 4096),
      waitMs: r.int('COMP_NODE_WAIT_MS', DEFAULT_NODE_WAIT_MS, 0, 3_600_000),
    },
    maxCoreBytes: maxCore === 0 ? Infinity : maxCore * MiB,
    earlyBufferBytes: r.int('COMP_EARLY_BUFFER_MIB', 16, 1, 1024) * MiB,
    timeoutSec: r.int('COMP_TIMEOUT', 600, 1, 7 * 24 * 3600),
    progressTimeoutMs: r.int('COMP_PROGRESS_TIMEOUT', 10, 1, 3600) * 1000,
    ignoreRlimit: r.bool('COMP_IGNORE_RLIMIT', false),
    triage: r.bool('COMP_TRIAGE', true),
    rateLimit: rateLimit(r),
    rateLimitHost: r.bool('COMP_RATE_LIMIT_HOST', false),
    spoolMaxBytes: r.int('SPOOL_MAX_BYTES', 50 * GiB, 0, Number.MAX_SAFE_INTEGER),
    spoolMinFreeBytes: r.int('SPOOL_MIN_FREE_BYTES', 1 * GiB, 0, Number.MAX_SAFE_INTEGER),
    logMaxBytes: r.int('COMP_LOG_MAX_BYTES', 10 * MiB, 64 * 1024, 1024 * MiB),
    coreEvents: r.bool('COMP_CORE_EVENTS', false),
    coreEventDir: r.string('COMP_CORE_EVENT_DIR', eventDir),
    ignoreCrio: r.bool('COMP_IGNORE_CRIO', false),
    includeProcInfo: r.bool('COMP_INCLUDE_PROC_INFO', false),
    crioImageCmd: r.string('COMP_CRIO_IMAGE_CMD', 'img'),
    criEndpoint: r.string('CRIO_ENDPOINT', 'unix:///run/containerd/containerd.sock'),
    criTimeoutMs: r.int('COMP_CRI_TIMEOUT_MS', 1000, 50, 60000),
    podSelectorLabel: r.string('COMP_POD_SELECTOR_LABEL', ''),
    logLength: r.int('COMP_LOG_LENGTH', 500, 0, 100000),
    s3: Object.freeze({
      bucket: r.raw('S3_BUCKET_NAME'),
      region,
      endpoint,
      forcePathStyle: r.bool('S3_FORCE_PATH_STYLE', endpoint !== undefined),
      accessKeyId: r.raw('S3_ACCESS_KEY'),
      secretAccessKey: r.raw('S3_SECRET'),
      sessionToken: r.raw('S3_SESSION_TOKEN'),
      keyPrefix: keyPrefix(r),
    }),
    azure: azureConfig(r),
    store: r.raw('AZURE_STORAGE_CONTAINER') ? 'azure' : 's3',
  };
  return { config: Object.freeze(config), warnings: Object.freeze([...r.warnings]) };
}

function azureConfig(r: ConfigReader): AzureConfig {
  const container = r.raw('AZURE_STORAGE_CONTAINER');
  if (container && r.raw('S3_BUCKET_NAME')) {
    r.conflict(`S3_BUCKET_NAME and AZURE_STORAGE_CONTAINER are both set; set one store only (using Azure, S3_BUCKET_NAME ignored)`);
  }
  const blobEndpoint = r.raw('AZURE_STORAGE_BLOB_ENDPOINT')?.replace(/\/+$/, '');
  if (blobEndpoint && !/^https?:\/\/[^\s/]+/.test(blobEndpoint)) r.warn('AZURE_STORAGE_BLOB_ENDPOINT', blobEndpoint, 'the account default', 'expected http(s)://host[:port][/account]');
  return Object.freeze({
    container,
    connectionString: r.raw('AZURE_STORAGE_CONNECTION_STRING'),
    account: r.raw('AZURE_STORAGE_ACCOUNT'),
    key: r.raw('AZURE_STORAGE_KEY'),
    sasToken: r.raw('AZURE_STORAGE_SAS_TOKEN')?.replace(/^\?/, ''),
    blobEndpoint: blobEndpoint && /^https?:\/\/[^\s/]+/.test(blobEndpoint) ? blobEndpoint : undefined,
    clientId: r.raw('AZURE_CLIENT_ID'),
    tenantId: r.raw('AZURE_TENANT_ID'),
    federatedTokenFile: r.raw('AZURE_FEDERATED_TOKEN_FILE'),
    authorityHost: r.raw('AZURE_AUTHORITY_HOST'),
  });
}

/** A copy safe to log: secrets replaced by whether they are set. */
export function redact(config: Config): Record<string, unknown> {
  const { accessKeyId, secretAccessKey, sessionToken, ...s3 } = config.s3;
  const { connectionString, key, sasToken, ...azure } = config.azure;
  const set = (v: string | undefined) => (v ? 'set' : 'unset');
  return {
    ...config,
    azure: { ...azure, connectionString: set(connectionString), key: set(key), sasToken: set(sasToken) },
    s3: { ...s3, accessKeyId: accessKeyId ? 'set' : 'unset', secretAccessKey: secretAccessKey ? 'set' : 'unset', sessionToken: sessionToken ? 'set' : 'unset' },
  };
}
