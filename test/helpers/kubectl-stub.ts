// A stand-in kubectl for --from-cluster tests (no cluster here): a script on PATH that answers as
// kubectl would, from the chart's objects, for one namespace, and records every call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

export interface KubectlStub {
  /** PATH with the stub first. */
  readonly path: string;
  calls(): string[];
}

/** `secrets`: name -> plain values (stored base64, as the API server gives them). */
export function stubKubectl(
  t: Test, namespace: string, daemonset: object, secrets: Record<string, Record<string, string>>, name = 'core-dump-handler',
): KubectlStub {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdh-kubectl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'ds.json'), JSON.stringify(daemonset));
  const cases = [`  "-n ${namespace} get daemonset ${name} -o json") cat ${dir}/ds.json ;;`];
  for (const [name, values] of Object.entries(secrets)) {
    const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    fs.writeFileSync(path.join(dir, `secret-${name}.json`), JSON.stringify({ data }));
    cases.push(`  "-n ${namespace} get secret ${name} -o json") cat ${dir}/secret-${name}.json ;;`);
  }
  fs.writeFileSync(path.join(dir, 'kubectl'), `#!/bin/sh
printf '%s\\n' "$*" >> ${dir}/calls
case "$*" in
${cases.join('\n')}
  *) echo "Error from server (NotFound): $*" >&2; exit 1 ;;
esac
`, { mode: 0o755 });
  return {
    path: `${dir}:${process.env.PATH}`,
    calls: () => fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n'),
  };
}
