// `cdh list` over 10,000 dumps (synthetic summaries in the real RGW). The time is reported, not
// asserted (speed is the bench's business); what is asserted is that every dump is listed, in order.
import t from 'tap';
import { createTestBucket } from '../helpers/s3.ts';
import { jsonLines, runCdh } from '../helpers/cdh.ts';
import { storeSynthetic, synthetic } from '../helpers/summaries.ts';

const N = 10_000;
const bucket = await createTestBucket('cdh-10k');
t.teardown(() => bucket.destroy());

t.test(`list and groups over ${N} dumps`, async (t) => {
  const started = performance.now();
  await storeSynthetic(bucket.objects, Array.from({ length: N }, (_, i) => synthetic(i, { fingerprint: `fp${i % 50}` })));
  t.comment(`stored ${N} zips + summaries in ${Math.round(performance.now() - started)} ms`);
  const json = await runCdh(['list', '--json'], bucket.env);
  t.equal(json.status, 0, json.stderr);
  const rows = jsonLines(json);
  t.equal(rows.length, N, 'every dump listed');
  t.ok(rows.every((r, i) => i === 0 || Date.parse(rows[i - 1]!.time) >= Date.parse(r.time)), 'newest first');
  const table = await runCdh(['list'], { ...bucket.env, COLUMNS: '200' });
  t.equal(table.stdout.trimEnd().split('\n').length, N + 1);
  const recent = await runCdh(['list', '--json', '--since', new Date((1_700_000_000 + N - 100) * 1000).toISOString()], bucket.env);
  t.equal(jsonLines(recent).length, 100, '--since: the last 100');
  const groups = await runCdh(['groups', '--json'], bucket.env);
  t.equal(jsonLines(groups).length, 50);
  t.comment(`cdh list --json: ${Math.round(json.ms)} ms; list (table): ${Math.round(table.ms)} ms; list --since (100): ${Math.round(recent.ms)} ms; groups: ${Math.round(groups.ms)} ms`);
});
