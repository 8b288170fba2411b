import t from 'tap';
import { redactEnv } from '../../src/cri/redact.ts';

t.test('environment values are dropped from runtime info, names kept', async (t) => {
  const info = { info: { runtimeSpec: { process: { env: ['PATH=/bin', 'DB_PASSWORD=hunter2', 'odd'] } }, config: { envs: [{ key: 'TOKEN', value: 's3cr3t' }] } }, pid: 7 };
  const out = JSON.stringify(redactEnv(info));
  t.notMatch(out, /hunter2|s3cr3t/);
  t.match(out, /DB_PASSWORD=\[redacted/);
  t.match(out, /"key":"TOKEN"/);
  t.match(out, /"odd"/);
  t.match(out, /"pid":7/);
});
