// The composer's .env, built from the agent's environment. The composer runs with an EMPTY
// environment (the kernel starts it), so everything it needs must be in this file.
import type { Env } from '../../shared/config-readers.ts';

// AZURE_: the Azure store's settings and Workload Identity's (AZURE_CLIENT_ID, AZURE_TENANT_ID, ...).
const PREFIXES = ['COMP_', 'S3_', 'SPOOL_', 'AZURE_'];
const KEYS = [
  'CORE_DIR', 'EVENT_DIR', 'HOST_DIR', 'CRIO_ENDPOINT', 'LOG_LENGTH',
  // the AWS default chain, for clusters without static keys
  'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_ROLE_ARN', 'AWS_ROLE_SESSION_NAME', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_STS',
  // egress through a proxy applies to the host-side composer as much as to the agent
  'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy',
];

export const HOST_TOKEN_FILE = '.aws-web-identity-token';
/** The host copy of Azure Workload Identity's federated token (AZURE_FEDERATED_TOKEN_FILE). */
export const HOST_AZURE_TOKEN_FILE = '.azure-federated-token';

export interface ComposerEnvOptions {
  hostDir: string;
  /** Set when the agent keeps a host copy of a web identity token: the composer must read that one. */
  hostTokenFile: string | undefined;
  /** The same for Azure Workload Identity's token. */
  hostAzureTokenFile?: string | undefined;
}

export function composerEnv(env: Env, opts: ComposerEnvOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined) continue;
    if (KEYS.includes(k) || PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  out.HOST_DIR = opts.hostDir;
  // The pod's token path does not exist on the host; point at the copy the agent refreshes.
  if (opts.hostTokenFile) out.AWS_WEB_IDENTITY_TOKEN_FILE = opts.hostTokenFile;
  if (opts.hostAzureTokenFile) out.AZURE_FEDERATED_TOKEN_FILE = opts.hostAzureTokenFile;
  return out;
}
