// --from-cluster: the store settings the chart gave its agents, read through the user's own kubectl
// (its context and credentials): the DaemonSet's env (plain values, secretKeyRef) and envFrom
// Secrets. Only S3_* and AZURE_STORAGE_* names are taken, and nothing read here is ever printed.
// (Workload Identity's token lives in the pod; from outside, give Azure a key, SAS or connection string.)
import { execFileSync } from 'node:child_process';
import { CdcError } from '../shared/errors.ts';

export interface ClusterOptions {
  readonly namespace: string | undefined;
  readonly daemonset: string;
  readonly context: string | undefined;
}

type Json = Record<string, any>;

const STORE_NAME = /^(S3_|AZURE_STORAGE_)/;

function kubectl(o: ClusterOptions, args: string[]): Json {
  const full = [...(o.context ? ['--context', o.context] : []), ...(o.namespace ? ['-n', o.namespace] : []), ...args, '-o', 'json'];
  try {
    return JSON.parse(execFileSync('kubectl', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 })) as Json;
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    const why = err.code === 'ENOENT' ? 'kubectl is not on PATH' : (err.stderr || err.message).trim().split('\n')[0];
    throw new CdcError('CDC_CLI_CLUSTER', `kubectl ${args.join(' ')}: ${why}`);
  }
}

/** The store environment of the chart's agent container, Secret references resolved. */
export function clusterEnv(o: ClusterOptions): Record<string, string> {
  const ds = kubectl(o, ['get', 'daemonset', o.daemonset]);
  const containers: Json[] = ds.spec?.template?.spec?.containers ?? [];
  const agent = containers.find((c) => (c.env ?? []).some((e: Json) => STORE_NAME.test(e.name ?? ''))) ?? containers[0];
  if (!agent) throw new CdcError('CDC_CLI_CLUSTER', `daemonset ${o.daemonset} has no containers`);
  const secrets = new Map<string, Record<string, string>>();
  const secret = (name: string): Record<string, string> => {
    let data = secrets.get(name);
    if (!data) {
      data = {};
      for (const [k, v] of Object.entries(kubectl(o, ['get', 'secret', name]).data ?? {})) data[k] = Buffer.from(String(v), 'base64').toString('utf8');
      secrets.set(name, data);
    }
    return data;
  };
  const env: Record<string, string> = {};
  for (const from of agent.envFrom ?? []) {
    if (!from.secretRef?.name) continue;
    for (const [k, v] of Object.entries(secret(from.secretRef.name))) if (STORE_NAME.test((from.prefix ?? '') + k)) env[(from.prefix ?? '') + k] = v;
  }
  for (const e of agent.env ?? []) {
    if (!STORE_NAME.test(e.name ?? '')) continue;
    if (typeof e.value === 'string') env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref?.name && ref.key) {
      const v = secret(ref.name)[ref.key];
      if (v !== undefined) env[e.name] = v;
      else if (!ref.optional) throw new CdcError('CDC_CLI_CLUSTER', `secret ${ref.name} has no key ${ref.key} (for ${e.name})`);
    }
  }
  if (!env.S3_BUCKET_NAME && !env.AZURE_STORAGE_CONTAINER) {
    throw new CdcError('CDC_CLI_CLUSTER', `daemonset ${o.daemonset} names no S3_BUCKET_NAME or AZURE_STORAGE_CONTAINER (dumps stay on the nodes)`);
  }
  return env;
}
