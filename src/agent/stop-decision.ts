// On SIGTERM: restore the host, or keep capturing? A rolling update or a restart also sends
// SIGTERM, and restoring then loses every crash until the next agent has installed. So the agent
// restores only when its DaemonSet is gone or being deleted (helm uninstall). When it cannot tell
// (API unreachable, no token, no RBAC), it keeps capture: a node left capturing is cleaned by hand
// (README "Cleaning a node by hand"); a lost dump cannot be recovered.
// Run outside the chart (no DAEMONSET_NAME), SIGTERM restores, as a stopped program should.
import { describeError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import { daemonSetState } from './events/daemonset-state.ts';
import type { KubeApi } from './events/k8s-client.ts';

export type StopDecision = 'uninstall' | 'keep';

export interface StopDecisionInput {
  daemonSet: string | undefined;
  namespace: string | undefined;
  api: () => Promise<KubeApi | undefined>;
  log: Logger;
  timeoutMs?: number;
}

export async function decideOnStop(o: StopDecisionInput): Promise<StopDecision> {
  if (!o.daemonSet) return 'uninstall';
  const keep = (why: string, err?: unknown): StopDecision => {
    o.log.warn({ event: 'CaptureKept', code: 'CDC_STOP_UNDECIDED', reason: why, ...(err ? { err: describeError(err) } : {}) },
      `cannot tell an uninstall from a restart (${why}): capture stays installed; to clean a node by hand see the README`);
    return 'keep';
  };
  if (!o.namespace) return keep('POD_NAMESPACE is not set');
  try {
    const api = await o.api();
    if (!api) return keep('not in a cluster (no KUBERNETES_SERVICE_HOST)');
    const state = await daemonSetState(api, o.namespace, o.daemonSet, o.timeoutMs ?? 5_000);
    o.log.info({ event: 'StopDecided', daemonSet: `${o.namespace}/${o.daemonSet}`, state }, `DaemonSet ${state}`);
    return state === 'present' ? 'keep' : 'uninstall';
  } catch (e) {
    return keep('the API server did not answer', e);
  }
}
