// One catalogue of stable error codes. A code never changes meaning once released; the message
// says what went wrong and what to do about it. Never put secrets into `details`.

export const ErrorCodes = {
  CDC_CONFIG_INVALID: 'A configuration value is invalid; fix the named key or remove it to use the default.',
  CDC_ENVFILE_MODE: 'The .env file beside the composer is readable by others; it holds secrets. chmod 600 it (the agent writes it so).',
  CDC_ENVFILE_UNREADABLE: 'The .env file beside the composer could not be read; the dump was taken with the environment alone.',
  CDC_TEMPLATE_INVALID: 'COMP_FILENAME_TEMPLATE names an unknown variable or gives no usable name; the dump was named with what could be used (or its uuid).',
  CDC_POD_NOT_SELECTED: 'The crashed pod lacks the COMP_POD_SELECTOR_LABEL label; no dump was taken, as configured.',
  CDC_RECORD_FAILED: 'The record that tells the agent about a stored dump could not be written to EVENT_DIR; the dump is stored, but no Kubernetes Event will be posted for it.',
  CDC_ENVFILE_LINE: 'A line of the .env file could not be parsed; it was ignored. Use KEY=value lines.',
  CDC_ARGS_INVALID: 'A core_pattern argument was missing or malformed; the dump was still taken. Check the installed core_pattern.',
  CDC_PROC_UNREADABLE: 'Facts about the crashed process could not be read from /proc; the dump was still taken with fewer fields.',
  CDC_PROC_UNVERIFIED: 'core_pattern gives no host pid (%P) or pidfd (%F), so the crashed process cannot be told apart from another with its namespace pid; /proc was not read. Add -P=%P to core_pattern.',
  CDC_PID_REUSED: 'The pid no longer names the crashed process (pid reuse); /proc facts were discarded.',
  CDC_S3_UNREACHABLE: 'The store (S3 or Azure Blob) could not be reached or refused the upload at its start; the dump was spooled to disk for the agent.',
  CDC_S3_MIDSTREAM: 'The store (S3 or Azure Blob) failed during the upload; the rest of the dump was spooled with a manifest the agent completes.',
  CDC_S3_CONFIG: 'S3 is not configured (S3_BUCKET_NAME); the dump was spooled to disk.',
  CDC_AZURE_CONFIG: 'Azure Blob Storage is chosen (AZURE_STORAGE_CONTAINER) but its account or credentials are missing; the dump was spooled to disk. Set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or Workload Identity.',
  CDC_SPOOL_FAILED: 'The dump could not be written to the core directory; check that CORE_DIR exists, is writable and has free space.',
  CDC_SPOOL_FULL: 'The spool is over its size cap or the disk is under its free-space floor; the dump was refused to protect the node.',
  CDC_CORE_SHORT: 'The core on stdin ended before the length its ELF program headers give; it was stored, marked core_truncated with the expected and received sizes in dump-info.',
  CDC_TIMEOUT: 'The composer ran longer than COMP_TIMEOUT; the upload was aborted and no partial zip was left behind. Raise COMP_TIMEOUT for large cores.',
  CDC_RLIMIT_ZERO: 'The crashed process had RLIMIT_CORE 0; no dump was taken (set COMP_IGNORE_RLIMIT=true to take it anyway).',
  CDC_CRI_FAILED: 'The container runtime could not be asked about the crash; the dump was taken with "unknown" pod fields.',
  CDC_CRI_DEADLINE: 'The CRI lookup used up its time budget (COMP_CRI_TIMEOUT_MS per call, the composer\'s overall limit); the dump was taken with what was found by then.',
  CDC_CRI_LOG_UNREADABLE: 'A container log file named by the runtime could not be read; the dump was taken without those log lines.',
  CDC_INTERNAL: 'An unexpected error; the message has the cause. Please report it with the composer log.',
  CDC_INSTALL_PATTERN_TOO_LONG: 'The core_pattern would exceed the kernel limit of 127 bytes and be cut silently; use a shorter HOST_DIR.',
  CDC_STOP_UNDECIDED: 'On SIGTERM the agent could not ask the API server whether its DaemonSet is being deleted; it kept capture installed (see the README to clean a node by hand).',
  CDC_HOST_NOEXEC: 'HOST_DIR is on a noexec mount on the host; the kernel could not run the composer from there. Use a daemonset.hostDirectory on an exec mount.',
  CDC_HOST_LAUNCH_FAILED: 'The kernel could not run the installed launcher from the host\'s view (host glibc older than GLIBC_2.28 as on RHEL/CentOS 7 and Amazon Linux 2, a missing library, an SELinux denial, a runtime for another architecture); core_pattern was restored so no dump is silently lost.',
  CDC_INSTALL_FAILED: 'Installing the composer on the host failed; check the HOST_DIR mount and that the agent runs privileged.',
  CDC_UPLOAD_FAILED: 'Uploading a spooled dump failed; it stays on disk and will be retried.',
  CDC_UPLOAD_GONE: 'The multipart upload (Azure: the staged blocks) named by a partial-upload manifest no longer exists in the store (aborted, expired by a lifecycle rule, or past Azure\'s week for uncommitted blocks); its files were left on disk for an operator.',
  CDC_FILE_UNSAFE: 'A file in CORE_DIR, EVENT_DIR or HOST_DIR is a symlink, not a regular file, or not owned by root; it was not read. Remove it: nothing of ours makes such files.',
  CDC_S3_STALLED: 'The store (S3 or Azure Blob) confirmed nothing for COMP_PROGRESS_TIMEOUT seconds; what it confirmed stays in the upload and the rest was spooled, so the crashed process is not held by a stalled store.',
  CDC_S3_PART_FAILED: 'The store (S3 or Azure Blob) refused or did not answer a part (block) upload; what it did not confirm was kept for the spool.',
  CDC_S3_PART_LIMIT: 'An upload needed more parts than S3_MAX_PARTS allows; the composer cuts a core before that (core_truncated, part_limit); raise COMP_MEMORY_MIB for larger parts.',
  CDC_NODE_BUDGET: 'The node-wide composer budget (HOST_DIR/.budget) could not be used; this dump went on as configured, outside the budget. Check that HOST_DIR is a writable directory and .budget in it is not a symlink.',
  CDC_NODE_BUDGET_FULL: 'The node-wide composer budget (COMP_NODE_MEMORY_MIB) stayed taken for COMP_NODE_WAIT_MS; this dump went on lean, over the budget, rather than be lost. Raise COMP_NODE_MEMORY_MIB if bursts this large are normal on the node.',
  CDC_NICE_FAILED: 'COMP_NICE could not be applied (os.setPriority refused); the dump went on at the priority the kernel gave.',
  CDC_S3_ABORT_FAILED: 'A failed multipart upload could not be aborted; its parts stay in S3 until a lifecycle rule (AbortIncompleteMultipartUpload) removes them.',
  CDC_RECORD_INVALID: 'A record in EVENT_DIR was unreadable, unsafe or not JSON; it was removed without posting an Event.',
  CDC_EVENT_FAILED: 'A Kubernetes Event about a stored dump could not be posted; it is retried, and dropped after a day. Check the agent\'s RBAC (create events).',
  CDC_INSTALL_FLAGS_DROPPED: 'The full core_pattern would pass 127 bytes; optional flags (-F, -D, -p) were dropped to fit. Shorten HOST_DIR to keep them.',
  CDC_UNINSTALL_FAILED: 'Restoring the kernel settings on uninstall failed; check /proc/sys/kernel/core_pattern by hand (README: cleaning a node by hand).',
  CDC_WATCH_FAILED: 'Watching a directory with inotify failed; dumps are still found by the INTERVAL and SCHEDULE sweeps.',
  CDC_COMMAND_UNKNOWN: 'The agent was started with an unknown command; use run, install, remove or sweep.',
  CDC_KEY_EXISTS: 'The object key of a dump already holds an object; it was not replaced, and the dump stays on disk for an operator. Check S3_KEY_PREFIX and what else writes to the bucket.',
  CDC_MANIFEST_INVALID: 'A partial-upload manifest or its rest file is unreadable or inconsistent; the files were left on disk for an operator.',
  CDC_RATE_LIMITED: 'The container crashed more often than COMP_RATE_LIMIT allows in its window; this dump holds crash.json, dump-info and the logs but no core.',
  CDC_RATE_STATE: 'The crash-loop rate-limit state in HOST_DIR/rate could not be used; the dump was taken in full (or its crash was not counted).',
  CDC_TRIAGE_PARTIAL: 'The core could not be read whole for triage (truncated, garbled or unusual); crash.json says what was read.',
  CDC_SUMMARY_FAILED: 'The dump summary `cdh` lists could not be stored beside the zip; the dump is stored, and `cdh list` shows it from its key alone.',
  CDC_ZIP_INVALID: 'A zip could not be read (no end record, an entry outside the file, a CRC-32 or size mismatch); the object may be damaged or not one of ours.',
  CDC_CLI_USAGE: 'cdh was called with an unknown command, option or value; see `cdh --help`.',
  CDC_CLI_NO_CREDENTIALS: 'No store credentials were found: for S3 set S3_ACCESS_KEY and S3_SECRET, an AWS profile or role; for Azure AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN; or use --from-cluster.',
  CDC_CLI_ACCESS_DENIED: 'The store (S3 or Azure Blob) refused the credentials or the request; check the keys (or SAS token and its permissions), the region and the bucket or container policy.',
  CDC_CLI_NO_BUCKET: 'The bucket (Azure: container) does not exist or none is named; set S3_BUCKET_NAME or AZURE_STORAGE_CONTAINER, or --bucket (and S3_ENDPOINT or AZURE_STORAGE_BLOB_ENDPOINT for a non-default endpoint).',
  CDC_CLI_S3_UNREACHABLE: 'The store (S3 or Azure Blob) could not be reached; check S3_ENDPOINT, AZURE_STORAGE_BLOB_ENDPOINT or --endpoint, and the network.',
  CDC_CLI_ID_UNKNOWN: 'No dump matches that ID; `cdh list` shows the IDs (a uuid, a unique prefix of it, or the object key).',
  CDC_CLI_ID_AMBIGUOUS: 'The ID matches more than one dump; give more characters of the uuid, or the object key.',
  CDC_CLI_UPLOADING: 'That dump is still being uploaded (its multipart upload is open, or its Azure blob has staged blocks only); try again when it is complete.',
  CDC_CLI_CLUSTER: 'The chart\'s store settings could not be read through kubectl; check the context, the namespace (-n) and --daemonset.',
  CDC_CLI_LOCAL_FILE: 'A local file could not be written or run (the output directory, or gdb); the message names it.',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * A problem as a value: what went wrong (a stable code) and the particulars. Lists of problems travel
 * in results (kernel args, /proc, CRI, config) and end up in logs and dump-info with their codes.
 */
export interface Problem {
  readonly code: ErrorCode;
  readonly detail: string;
}

export function problem(code: ErrorCode, detail: string): Problem {
  return { code, detail: detail.replace(/\s+/g, ' ').slice(0, 500) };
}

/** "CODE: detail", for a list of problems in a JSON document or one log line. */
export function formatProblem(p: Problem): string {
  return `${p.code}: ${p.detail}`;
}

export class CdcError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(detail ? `${code}: ${ErrorCodes[code]} (${detail})` : `${code}: ${ErrorCodes[code]}`, options);
    this.name = 'CdcError';
    this.code = code;
    this.detail = detail;
    this.details = details;
  }
}

export function isCdcError(e: unknown, code?: ErrorCode): e is CdcError {
  return e instanceof CdcError && (code === undefined || e.code === code);
}

/** The code of a thrown value: its own for a CdcError, else `fallback`. */
export function codeOf(e: unknown, fallback: ErrorCode = 'CDC_INTERNAL'): ErrorCode {
  return isCdcError(e) ? e.code : fallback;
}

/** Any thrown value as a Problem: a CdcError keeps its code, anything else gets `fallback`. */
export function problemOf(e: unknown, fallback: ErrorCode = 'CDC_INTERNAL'): Problem {
  return isCdcError(e) ? problem(e.code, e.detail ?? ErrorCodes[e.code]) : problem(fallback, describeError(e));
}

/** A short, single-line description of any thrown value, safe for logs. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.replace(/\s+/g, ' ').slice(0, 500);
  return String(e).replace(/\s+/g, ' ').slice(0, 500);
}
