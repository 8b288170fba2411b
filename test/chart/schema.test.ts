// values.schema.json must reject typos and impossible combinations with a message that names
// the key; every shipped values file must pass; every value in values.yaml carries a comment.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseDocument, isMap, isScalar, type YAMLMap } from 'yaml';
import { chartDir, renderRaw, valuesFiles } from './render.ts';

const schema = JSON.parse(fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
const check = ajv.compile(schema);
const defaults = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;

t.test('ajv: values.yaml passes; a typo is rejected naming the key', async (t) => {
  t.ok(check(defaults), JSON.stringify(check.errors));
  const typo = structuredClone(defaults) as { daemonset: Record<string, unknown> };
  typo.daemonset['hostDirectoy'] = '/x';
  t.notOk(check(typo));
  t.match(check.errors, [{ instancePath: '/daemonset', message: 'must NOT have additional properties', params: { additionalProperty: 'hostDirectoy' } }]);
});

t.test('ajv: every provider and ci file is valid on its own', async (t) => {
  const { providers, ci } = valuesFiles();
  for (const f of [...providers, ...ci]) {
    // Files are overlays: validate the keys they set (required-free schema, so a partial object works).
    const v = parse(fs.readFileSync(path.join(chartDir, f), 'utf8')) ?? {};
    t.ok(check(v), `${f}: ${JSON.stringify(check.errors)}`);
  }
});

// Helm (or helm-template) applies the same schema before rendering and prints these lines.
const rejects: [string, string[], RegExp][] = [
  ['typo in a daemonset key', ['daemonset.hostDirectoy=/x'], /daemonset: Additional property hostDirectoy is not allowed/],
  ['typo at the top level', ['tolerationz[0].operator=Exists'], /Additional property tolerationz is not allowed/],
  ['log level', ['composer.logLevel=Verbose'], /composer\.logLevel/],
  ['deflate level above 9', ['composer.compressionLevel=12'], /composer\.compressionLevel: Must be less than or equal to 9/],
  ['compression off with zstd', ['composer.compression=false', 'composer.codec=zstd'], /composer\.codec: composer\.codec must be one of the following: "deflate", "store"/],
  ['host dir too long for core_pattern', [`daemonset.hostDirectory=/${'a'.repeat(60)}`], /daemonset\.hostDirectory: String length must be less than or equal to 56/],
  ['relative path', ['daemonset.coreDirectory=cores'], /daemonset\.coreDirectory: Does not match pattern/],
  ['spool size unit', ['daemonset.spoolMaxSize=50GB'], /daemonset\.spoolMaxSize: Does not match pattern/],
  ['access key without secret', ['daemonset.s3AccessKey=AKIA'], /s3AccessKey and daemonset\.s3Secret go together/],
  ['endpoint without scheme', ['daemonset.s3Endpoint=minio:9000'], /daemonset\.s3Endpoint: Does not match pattern/],
  ['S3 and Azure both set', ['daemonset.s3BucketName=b', 'daemonset.azureContainer=cores', 'daemonset.azureAccount=acct', 'daemonset.azureKey=k'], /azureContainer chooses Azure Blob Storage, but S3 settings are set too/],
  ['Azure without account', ['daemonset.azureContainer=cores'], /azureContainer needs daemonset\.azureAccount/],
  ['Workload Identity with a key', ['daemonset.azureContainer=cores', 'daemonset.azureAccount=acct', 'daemonset.azureWorkloadIdentity=true', 'daemonset.azureKey=k'], /azureWorkloadIdentity uses the pod's federated identity/],
  ['Azure container name', ['daemonset.azureContainer=Bad_Name', 'daemonset.azureAccount=acct'], /daemonset\.azureContainer: Does not match pattern/],
];

t.test('helm rejects bad values with a readable message', async (t) => {
  for (const [what, set, message] of rejects) {
    const r = renderRaw(set.flatMap((s) => ['--set', s]));
    t.not(r.status, 0, `${what}: rejected`);
    t.match(r.stderr, message, `${what}: message`);
  }
});

t.test('every value in values.yaml has a comment', async (t) => {
  const doc = parseDocument(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
  const missing: string[] = [];
  const free = new Set(['nodeSelector']); // its entries are example node labels, not chart values
  const walk = (map: YAMLMap, prefix: string) => {
    map.items.forEach((pair, i) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const k = pair.key as { commentBefore?: string | null };
      const comment = k.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
      const sub = pair.value;
      if (isMap(sub) && sub.items.length > 0 && !free.has(key)) walk(sub, `${prefix}${key}.`);
      else if (!comment) missing.push(prefix + key);
    });
  };
  if (isMap(doc.contents)) walk(doc.contents, '');
  t.same(missing, [], 'values without a comment');
});
