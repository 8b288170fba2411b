// IRSA / web identity: the SDK in the composer needs AWS_ROLE_ARN and a token FILE. The pod's
// projected token lives in the pod's filesystem, which the host-side composer cannot see, so the
// agent keeps a copy in HOST_DIR (0600) and refreshes it before the kubelet's rotation makes it stale.
// Azure Workload Identity is the same story with its own names (AZURE_FEDERATED_TOKEN_FILE).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../shared/log.ts';
import { describeError } from '../../shared/errors.ts';
import { readRegularText, writeFileAtomic } from '../../shared/spool/index.ts';
import { HOST_AZURE_TOKEN_FILE, HOST_TOKEN_FILE } from './composer-env.ts';

export { HOST_AZURE_TOKEN_FILE };

export function webIdentitySource(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.AWS_ROLE_ARN && env.AWS_WEB_IDENTITY_TOKEN_FILE ? env.AWS_WEB_IDENTITY_TOKEN_FILE : undefined;
}

/** The federated token file the AKS Workload Identity webhook mounts, when it is in use. */
export function azureTokenSource(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && env.AZURE_FEDERATED_TOKEN_FILE ? env.AZURE_FEDERATED_TOKEN_FILE : undefined;
}

export async function copyToken(source: string, hostDir: string, name = HOST_TOKEN_FILE): Promise<string> {
  const target = path.join(hostDir, name);
  const token = await fs.readFile(source);
  // The host copy is read through a checked descriptor: HOST_DIR is writable from the host.
  const current = await readRegularText(target, 1024 * 1024).then((r) => r.text, () => undefined);
  if (current !== token.toString('utf8')) await writeFileAtomic(target, token, 0o600);
  return target;
}

/** Refreshes the host copy every `everyMs`; returns a stop function. Failures are logged, never thrown. */
export function keepTokenFresh(source: string, hostDir: string, everyMs: number, log: Logger, name = HOST_TOKEN_FILE): () => void {
  const timer = setInterval(() => {
    copyToken(source, hostDir, name).catch((e) => log.warn({ event: 'TokenRefreshFailed', code: 'CDC_INSTALL_FAILED', err: describeError(e) }, 'web identity token copy failed'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
