import t from 'tap';
import { formatProblem } from '../../src/shared/errors.ts';
import { loadConfig, redact } from '../../src/shared/config.ts';
import { parseEnvFile, formatEnvFile } from '../../src/shared/envfile.ts';

t.test('defaults', async (t) => {
  const { config, warnings } = loadConfig({});
  t.same(warnings, []);
  t.equal(config.codec, 'deflate');
  t.equal(config.directUpload, true);
  t.equal(config.timeoutSec, 600);
  t.equal(config.coreDir, '/var/mnt/core-dump-handler/cores');
  t.equal(config.s3.bucket, undefined);
  t.ok(Object.isFrozen(config));
});

t.test('seed names keep their meaning; bare .env names of the Rust agent too', async (t) => {
  const { config } = loadConfig({ COMP_COMPRESSION: 'false', COMP_LOG_LEVEL: 'Debug', LOG_LENGTH: '20', FILENAME_TEMPLATE: '{pid}', IGNORE_CRIO: 'true' });
  t.equal(config.codec, 'store');
  t.equal(config.logLevel, 'debug');
  t.equal(config.logLength, 20);
  t.equal(config.filenameTemplate, '{pid}');
  t.equal(config.ignoreCrio, true);
});

t.test('COMP_LOG_LENGTH, the original chart\'s name, is read and wins over the bare LOG_LENGTH', async (t) => {
  t.equal(loadConfig({ COMP_LOG_LENGTH: '7' }).config.logLength, 7);
  t.equal(loadConfig({ COMP_LOG_LENGTH: '7', LOG_LENGTH: '9' }).config.logLength, 7);
});

t.test('a bad optional value is named, and its default used', async (t) => {
  const { config, warnings } = loadConfig({ COMP_TIMEOUT: 'soon', COMP_CODEC: 'lzma', COMP_DIRECT_UPLOAD: 'maybe', COMP_PART_SIZE_MIB: '1' });
  t.equal(config.timeoutSec, 600);
  t.equal(config.codec, 'deflate');
  t.equal(config.directUpload, true);
  t.equal(config.partSizeBytes, 8 * 1024 * 1024);
  t.equal(warnings.length, 4);
  t.ok(warnings.some((w) => /^CDC_CONFIG_INVALID: COMP_TIMEOUT="soon" ignored/.test(formatProblem(w))));
});

t.test('S3_REGION holding a host name (seed habit) becomes the endpoint', async (t) => {
  const { config } = loadConfig({ S3_REGION: 's3.eu.cloud-object-storage.example.com' });
  t.equal(config.s3.endpoint, 'https://s3.eu.cloud-object-storage.example.com');
  t.equal(config.s3.forcePathStyle, true);
  t.equal(loadConfig({ S3_REGION: 'eu-west-1' }).config.s3.endpoint, undefined);
});

t.test('key prefix is made key-safe', async (t) => {
  t.equal(loadConfig({ S3_KEY_PREFIX: '/a/../b c/' }).config.s3.keyPrefix, 'a/b_c/');
});

t.test('redact hides secrets', async (t) => {
  const { config } = loadConfig({ S3_SECRET: 'hunter2', S3_ACCESS_KEY: 'AKIA' });
  t.notMatch(JSON.stringify(redact(config)), /hunter2|AKIA/);
});

t.test('.env round trip and bad lines', async (t) => {
  const text = formatEnvFile({ A: 'x y', B: 'quote " and \\ and\nnewline', C: '' });
  t.same(parseEnvFile(text).values, { A: 'x y', B: 'quote " and \\ and\nnewline', C: '' });
  const r = parseEnvFile('GOOD=1\nnot a line\n=nokey\nexport E=2\nQ="unterminated\n# c\n');
  t.same(r.values, { GOOD: '1', E: '2' });
  t.same(r.badLines, [2, 3, 5]);
});
