// .env round-trips any value: the agent writes it, the composer reads it; a secret that came back
// changed (a backslash before "n" read as a newline, say) would be a dump that cannot be uploaded.
import t from 'tap';
import { parseEnv } from 'node:util';
import { formatEnvFile, parseEnvFile } from '../../src/shared/envfile.ts';
import { seeded } from '../helpers/seeded-random.ts';

// The characters that break naive formats, plus a spread of ordinary and non-ASCII ones.
const TRICKY = ['\\', '"', "'", '`', '\n', '\r', '\r\n', '#', '=', ' ', '\t', '$', '{', '}', '\0', '\u2028', '\u00e9', '\u2603', '\ud83d\ude00', 'n', 'r', 'export '];


function randomValue(rnd: () => number): string {
  const n = Math.floor(rnd() * 24);
  let v = '';
  for (let i = 0; i < n; i++) {
    v += rnd() < 0.6 ? TRICKY[Math.floor(rnd() * TRICKY.length)] : String.fromCharCode(32 + Math.floor(rnd() * 95));
  }
  return v;
}

t.test('any value round-trips through formatEnvFile and parseEnvFile (20,000 random values)', async (t) => {
  const rnd = seeded(20261201);
  let failures = 0;
  for (let i = 0; i < 20_000; i++) {
    const values = { S3_SECRET: randomValue(rnd), S3_ACCESS_KEY: randomValue(rnd), COMP_FILENAME_TEMPLATE: randomValue(rnd) };
    const back = parseEnvFile(formatEnvFile(values));
    if (back.badLines.length || JSON.stringify(back.values) !== JSON.stringify(values)) {
      if (failures++ < 5) t.fail(`did not round-trip: ${JSON.stringify(values)} -> ${JSON.stringify(back)}`);
    }
  }
  t.equal(failures, 0, 'every value came back unchanged');
});

t.test('the cases that broke before, by name', async (t) => {
  for (const v of ['back\\nslash', 'a\\"b', 'ends with \\', 'cr\rlf\n', '"quoted"', "it's", '#not a comment', ' padded ']) {
    t.equal(parseEnvFile(formatEnvFile({ K: v })).values.K, v, JSON.stringify(v));
  }
});

t.test("why not Node's util.parseEnv: values it cannot give back", async (t) => {
  // The figure behind keeping our parser: Node's reader drops carriage returns, and a value with
  // all three of its quote characters has no quoting at all.
  t.not(parseEnv('K="cr\rx"\n').K, 'cr\rx', 'parseEnv drops a carriage return');
  const allQuotes = `a"b'c\`d`;
  t.not(parseEnv(`K="${allQuotes}"\n`).K, allQuotes, 'parseEnv cannot read a value holding all three quote characters');
});

t.test('files the Rust original and people write still read', async (t) => {
  const r = parseEnvFile('# comment\nexport A=1\nB = two\nC="x y"\nD=\'lit\\n\'\nbad line\n');
  t.same(r.values, { A: '1', B: 'two', C: 'x y', D: 'lit\\n' });
  t.same(r.badLines, [6]);
});
