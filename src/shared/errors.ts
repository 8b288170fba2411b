// One catalogue of stable error codes. A code never changes meaning once released; the message
// says what went wrong and what to do about it. Never put secrets into `details`.

export const ErrorCodes = {
  CDC_CONFIG_INVALID: 'A configuration value is invalid; fix the named key or remove it to use the default.',
  CDC_CONFIG_REQUIRED: 'A required configuration value is missing; set the named key.',
  CDC_ENVFILE_LINE: 'A line of the .env file could not be parsed; it was ignored. Use KEY=value lines.',
  CDC_ARGS_INVALID: 'A core_pattern argument was missing or malformed; the dump was still taken. Check the installed core_pattern.',
  CDC_PROC_UNREADABLE: 'Facts about the crashed process could not be read from /proc; the dump was still taken with fewer fields.',
  CDC_PID_REUSED: 'The pid no longer names the crashed process (pid reuse); /proc facts were discarded.',
  CDC_S3_UNREACHABLE: 'S3 could not be reached or refused the upload at its start; the dump was spooled to disk for the agent.',
  CDC_S3_MIDSTREAM: 'S3 failed during the upload; the rest of the dump was spooled with a manifest the agent completes.',
  CDC_S3_CONFIG: 'S3 is not configured (S3_BUCKET_NAME); the dump was spooled to disk.',
  CDC_SPOOL_FAILED: 'The dump could not be written to the core directory; check that CORE_DIR exists, is writable and has free space.',
  CDC_SPOOL_FULL: 'The spool is over its size cap or the disk is under its free-space floor; the dump was refused to protect the node.',
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
  CDC_UPLOAD_GONE: 'The multipart upload named by a partial-upload manifest no longer exists in S3 (aborted or expired by a lifecycle rule); its files were left on disk for an operator.',
  CDC_MANIFEST_INVALID: 'A partial-upload manifest or its rest file is unreadable or inconsistent; the files were left on disk for an operator.',
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
