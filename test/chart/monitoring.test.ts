// Service, ServiceMonitor and PrometheusRule: off by default, each on with its ci/ values file,
// pointing at the agents' metrics port and at metric names the agent really exports.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { render, repo, type K8sObject } from './render.ts';

const kinds = (objs: K8sObject[]) => objs.map((o) => o.kind);

t.test('none by default', async (t) => {
  const k = kinds(render());
  for (const kind of ['Service', 'ServiceMonitor', 'PrometheusRule']) t.notOk(k.includes(kind), kind);
});

t.test('Service: the metrics port of the agent pods', async (t) => {
  const objs = render(['ci/service-values.yaml']);
  const svc = objs.find((o) => o.kind === 'Service');
  t.match(svc, { metadata: { namespace: 'observe', annotations: { 'prometheus.io/scrape': 'true' } }, spec: { selector: { name: 'core-dump-ds' }, ports: [{ name: 'metrics', port: 9464, targetPort: 'metrics' }] } });
  t.notOk(kinds(objs).includes('ServiceMonitor'));
});

t.test('ServiceMonitor: brings the Service, selects it by the chart labels', async (t) => {
  const objs = render(['ci/servicemonitor-values.yaml']);
  const svc = objs.find((o) => o.kind === 'Service');
  const sm = objs.find((o) => o.kind === 'ServiceMonitor');
  t.ok(svc, 'Service rendered with it');
  const sel = (sm?.['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
  for (const [k, v] of Object.entries(sel)) t.equal(svc?.metadata.labels?.[k], v, `Service carries ${k}`);
  t.match(sm, { metadata: { labels: { release: 'kube-prometheus-stack' } }, spec: { endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }] } });
});

t.test('PrometheusRule: upload failing, spool full, agent not ready, on exported metrics', async (t) => {
  const rule = render(['ci/prometheusrule-values.yaml']).find((o) => o.kind === 'PrometheusRule');
  const rules = (rule?.['spec'] as { groups: { rules: { alert: string; expr: string; for: string }[] }[] }).groups.flatMap((g) => g.rules);
  t.same(rules.map((r) => r.alert), ['CoreDumpUploadFailing', 'CoreDumpSpoolFull', 'CoreDumpAgentNotReady']);
  t.ok(rules.every((r) => r.for === '10m'));
  const metricsSrc = fs.readFileSync(path.join(repo, 'src/agent/health/metrics.ts'), 'utf8');
  for (const r of rules) {
    for (const m of r.expr.match(/\bcdc_[a-z_]+/g) ?? []) t.match(metricsSrc, `name: '${m}'`, `${r.alert}: ${m} is exported by the agent`);
  }
  t.match(rules[2]?.expr, /kube_daemonset_status_number_unavailable\{namespace="observe", daemonset="core-dump-handler"\}/);
});
