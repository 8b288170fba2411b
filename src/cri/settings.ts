// What the CRI lookup needs to know, and nothing more: the composer maps its Config onto this, so
// src/cri stays independent of the env names and of every other setting.
export interface CriSettings {
  /** The runtime's CRI socket ("unix:///run/containerd/containerd.sock", "unix:/path" or "/path"). */
  readonly endpoint: string;
  /** The limit of one CRI call, in ms. */
  readonly callTimeoutMs: number;
  /** Ask the runtime nothing: only the container id from the cgroup is reported. */
  readonly skipRuntime: boolean;
  /** Keep environment values in the runtime's verbose info (they may hold secrets). */
  readonly keepEnvValues: boolean;
  /** Last log lines taken of each container of the pod; 0 takes none. */
  readonly logLines: number;
}
