// The environment reaches the CRI lookup only through criSettings: each setting from its key.
import t from 'tap';
import { loadConfig } from '../../src/shared/config.ts';
import { criSettings } from '../../src/composer/cri-settings.ts';

t.test('each CRI setting comes from its environment key', async (t) => {
  const { config } = loadConfig({
    CRIO_ENDPOINT: '/run/k3s/containerd/containerd.sock', COMP_CRI_TIMEOUT_MS: '750', COMP_IGNORE_CRIO: 'true',
    COMP_INCLUDE_PROC_INFO: 'true', LOG_LENGTH: '42', COMP_POD_SELECTOR_LABEL: 'core-dump',
  });
  t.same(criSettings(config), {
    endpoint: '/run/k3s/containerd/containerd.sock', callTimeoutMs: 750, skipRuntime: true, keepEnvValues: true, logLines: 42,
  });
});

t.test('the defaults', async (t) => {
  t.same(criSettings(loadConfig({}).config), {
    endpoint: 'unix:///run/containerd/containerd.sock', callTimeoutMs: 1000, skipRuntime: false, keepEnvValues: false, logLines: 500,
  });
});
