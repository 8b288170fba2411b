import t from 'tap';
import { dropConfigAnnotations, redactEnv, withoutConfig } from '../../src/cri/redact.ts';

t.test('environment values are dropped from runtime info, names kept', async (t) => {
  const info = { info: { runtimeSpec: { process: { env: ['PATH=/bin', 'DB_PASSWORD=hunter2', 'odd'] } }, config: { envs: [{ key: 'TOKEN', value: 's3cr3t' }] } }, pid: 7 };
  const out = JSON.stringify(redactEnv(info));
  t.notMatch(out, /hunter2|s3cr3t/);
  t.match(out, /DB_PASSWORD=\[redacted/);
  t.match(out, /"key":"TOKEN"/);
  t.match(out, /"odd"/);
  t.match(out, /"pid":7/);
});

t.test('configuration-carrying annotations are dropped at any depth; others stay', async (t) => {
  const applied = '{"spec":{"containers":[{"env":[{"name":"DB_PASSWORD","value":"hunter2"}]}]}}';
  const doc = {
    status: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied, team: 'a' } },
    info: { config: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied } }, list: [{ annotations: { x: '1' } }] },
  };
  const out = dropConfigAnnotations(doc);
  t.notMatch(JSON.stringify(out), /hunter2|last-applied/);
  t.same(out.status.annotations, { team: 'a' });
  t.same(out.info.list, [{ annotations: { x: '1' } }]);
  t.same(withoutConfig({ 'kubectl.kubernetes.io/last-applied-configuration': applied, keep: 'me' }), { keep: 'me' });
});
