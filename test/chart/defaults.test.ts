// The chart and the agent agree: the chart's default install configures the agent exactly as the
// agent's own defaults would; every value a template reads is in values.yaml (with a comment,
// checked by schema.test.ts); the chart's env names are the ones the agent reads.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { chartDir, render } from './render.ts';
import { agentEnv, agentPod } from '../helpers/rendered-pod.ts';
import { loadAgentConfig } from '../../src/agent/agent-config.ts';
import { buildCorePattern, CORE_PATTERN_MAX_BYTES } from '../../src/agent/install/core-pattern.ts';

const values = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, any>;

t.test('the default render configures the agent and composer as their own defaults do', async (t) => {
  const env = agentEnv(render());
  const { nodeName, warnings, ...fromChart } = loadAgentConfig(env);
  const { nodeName: _n, warnings: _w, ...builtIn } = loadAgentConfig({});
  t.same(fromChart, builtIn, 'every setting equal (metricsPort, useINotify, interval, composer settings, ...)');
  t.same(warnings, [], 'no value the agent rejects');
  t.equal(nodeName, 'node-1', 'NODE_NAME from spec.nodeName');
  t.equal(builtIn.healthPort, values.daemonset.metricsPort);
  t.equal(builtIn.useInotify, values.daemonset.useINotify);
});

t.test('composer.logLength reaches the composer as COMP_LOG_LENGTH, the original\'s name', async (t) => {
  const env = agentEnv(render([], ['composer.logLength=42']));
  t.equal(env.COMP_LOG_LENGTH, '42');
  t.equal(loadAgentConfig(env).shared.logLength, 42);
});

t.test('{pathname} works: core_pattern carries %E within 127 bytes for every allowed hostDirectory', async (t) => {
  const longest = `/${'h'.repeat(55)}`; // the schema's 56-character maximum
  for (const dir of [values.daemonset.hostDirectory as string, longest]) {
    const { pattern } = buildCorePattern(dir);
    t.match(pattern, / -E=%E( |$)/, `${dir.length} chars: %E kept`);
    t.ok(Buffer.byteLength(pattern) <= CORE_PATTERN_MAX_BYTES);
  }
  const env = agentEnv(render(['ci/pathname-template-values.yaml']));
  t.equal(loadAgentConfig(env).shared.filenameTemplate, '{pathname}-{timestamp}-{uuid}');
});

t.test('namespaceOverride moves every namespaced object; POD_NAMESPACE is the pod\'s own', async (t) => {
  const objs = render(['ci/namespace-override-values.yaml']);
  const namespaced = objs.filter((o) => !['ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
  t.same([...new Set(namespaced.map((o) => o.metadata.namespace))], ['core-dumps']);
  for (const b of objs.filter((o) => /Binding$/.test(o.kind))) t.match(b['subjects'], [{ namespace: 'core-dumps' }], `${b.kind} subject`);
  const { agent } = agentPod(objs);
  t.same(agent.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  t.same(agent.env?.find((e) => e.name === 'DAEMONSET_NAME')?.value, 'core-dump-handler', 'the agent asks about its own DaemonSet on SIGTERM');
});

t.test('every value the templates read exists in values.yaml', async (t) => {
  const dir = path.join(chartDir, 'templates');
  const text = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const roots: Record<string, string> = { '$d': 'daemonset', '$c': 'composer' };
  const refs = new Set<string>();
  for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) refs.add(m[1]!.slice(1));
  for (const m of text.matchAll(/(\$[dc])((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) refs.add(`${roots[m[1]!]}${m[2]}`);
  t.ok(refs.size > 50, `${refs.size} references found`);
  const missing = [...refs].filter((r) => {
    let v: any = values;
    for (const k of r.split('.')) {
      if (v === null || typeof v !== 'object' || !(k in v)) return true;
      v = v[k];
    }
    return false;
  });
  t.same(missing, [], 'read by a template but not in values.yaml');
});
