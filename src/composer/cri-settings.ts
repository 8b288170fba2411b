// The composer's Config, cut down to what the CRI lookup uses (src/cri never sees Config).
import type { Config } from '../shared/config.ts';
import type { CriSettings } from '../cri/index.ts';

export function criSettings(config: Config): CriSettings {
  return {
    endpoint: config.criEndpoint,          // CRIO_ENDPOINT
    callTimeoutMs: config.criTimeoutMs,    // COMP_CRI_TIMEOUT_MS
    skipRuntime: config.ignoreCrio,        // COMP_IGNORE_CRIO
    keepEnvValues: config.includeProcInfo, // COMP_INCLUDE_PROC_INFO
    logLines: config.logLength,            // LOG_LENGTH
  };
}
