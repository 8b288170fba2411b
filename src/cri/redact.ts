// A container's environment often carries secrets (tokens, passwords). The runtime's verbose
// info repeats it (OCI spec process.env, CRI config envs); keep the names, drop the values,
// unless the user opted into sensitive data with COMP_INCLUDE_PROC_INFO.

const HIDDEN = '[redacted: set COMP_INCLUDE_PROC_INFO=true to keep]';

export function redactEnv(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactEnv);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'env' && Array.isArray(v)) {
      out[k] = v.map((e) => (typeof e === 'string' && e.includes('=') ? `${e.slice(0, e.indexOf('='))}=${HIDDEN}` : e));
    } else if (k === 'envs' && Array.isArray(v)) {
      out[k] = v.map((e) => (e && typeof e === 'object' && 'key' in e ? { key: (e as { key: unknown }).key, value: HIDDEN } : e));
    } else {
      out[k] = redactEnv(v);
    }
  }
  return out;
}

/**
 * Annotations that hold a whole object's configuration: `kubectl apply` keeps the applied manifest
 * (env values included) in last-applied-configuration. Dropped from every document we store.
 */
export const CONFIG_ANNOTATIONS: readonly string[] = ['kubectl.kubernetes.io/last-applied-configuration'];

/** An annotation map without the configuration-carrying keys. */
export function withoutConfig<V>(annotations: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(annotations)) if (!CONFIG_ANNOTATIONS.includes(k)) out[k] = v;
  return out;
}

/** A copy of a runtime document with configuration-carrying annotations removed, at any depth. */
export function dropConfigAnnotations<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropConfigAnnotations) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = k === 'annotations' && v && typeof v === 'object' && !Array.isArray(v)
      ? withoutConfig(v as Record<string, unknown>)
      : dropConfigAnnotations(v);
  }
  return out as T;
}
