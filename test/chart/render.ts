// Renders the chart the way `helm template` does: with helm when it is on PATH, else with the
// shared helm-template tool (Helm's template engine, built on first use; needs golang-go).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = path.join(repo, 'chart');
const tool = process.env.CDC_HELM_TEMPLATE ?? path.resolve(repo, '../shared/tools/helm-template/helm-template');

function hasHelm(): boolean {
  return spawnSync('helm', ['version', '--short'], { stdio: 'ignore' }).status === 0;
}
const useHelm = hasHelm();
export const renderer = useHelm ? 'helm' : tool;

export interface Rendered { status: number; stdout: string; stderr: string }

/** `helm template RELEASE chart -n observe ARGS` (release "cdh" unless a test names the seed's). */
export function renderRaw(args: string[], release = 'cdh'): Rendered {
  const cmd = useHelm ? 'helm' : tool;
  const argv = [...(useHelm ? ['template'] : []), release, chartDir, '-n', 'observe', ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 180_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

/** Renders with the given values files (relative to chart/) and --set pairs; throws on failure. */
export function render(valuesFiles: string[] = [], set: string[] = [], release?: string): K8sObject[] {
  const args = [...valuesFiles.flatMap((f) => ['-f', path.resolve(chartDir, f)]), ...set.flatMap((s) => ['--set', s])]; // chart-relative or absolute
  const r = renderRaw(args, release);
  if (r.status !== 0) throw new Error(`render ${args.join(' ')} failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  const out: K8sObject[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`YAML error in rendered output: ${d.errors[0]?.message}`);
    const obj = d.toJS() as K8sObject | null;
    if (obj) out.push(obj);
  }
  return out;
}

/** Every values file the chart ships: provider files and ci/ files (chart-relative paths). */
export function valuesFiles(): { providers: string[]; ci: string[] } {
  const providers = fs.readdirSync(chartDir).filter((f) => /^values\..+\.yaml$/.test(f)).sort();
  const ci = fs.readdirSync(path.join(chartDir, 'ci')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `ci/${f}`);
  return { providers, ci };
}
