// A core larger than 2 GiB piped through in direct mode: the composer's memory must not grow with
// the core (it streams), and nothing may land in the core directory.
import t from 'tap';
import fs from 'node:fs';
import { createTestBucket } from '../helpers/s3.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { runComposer, mixedData } from '../helpers/run-composer.ts';
import { spoolListing } from '../helpers/spool-listing.ts';

const ARGS = ['-c=18446744073709551615', '-e=bigapp', '-p=1', '-s=6', '-t=1700000000', '-h=node-a'];
const MiB = 1024 * 1024;

t.test('peak RSS is bounded and independent of core size; no file on disk', async (t) => {
  const b = await createTestBucket('large');
  t.teardown(() => b.destroy());
  const peak: Record<string, number> = {};
  for (const [label, bytes] of [['small', 256 * MiB], ['large', 2 * 1024 * MiB + 64 * MiB]] as const) {
    const c = installComposer(b.env);
    t.teardown(() => c.remove());
    const r = await runComposer(c.launcher, ARGS, mixedData(bytes));
    t.equal(r.code, 0, `${label}: stored`);
    const done = c.log().find((l) => l.event === 'DumpFinished')!;
    t.equal(done.outcome, 'stored');
    peak[label] = Number(done.maxRssKiB) / 1024;
    t.same(spoolListing(c.coreDir), [], `${label}: nothing in the core directory`);
    t.comment(`${label}: ${bytes / MiB} MiB core in ${Math.round(r.ms)} ms = ${Math.round(bytes / MiB / (r.ms / 1000))} MiB/s, peak RSS ${Math.round(peak[label]!)} MiB`);
  }
  t.ok(peak.large! < 256, `peak RSS ${Math.round(peak.large!)} MiB stays bounded`);
  t.ok(peak.large! - peak.small! < 48, `8x the core costs ${Math.round(peak.large! - peak.small!)} MiB more: memory does not follow core size`);
  const keys = await b.keys();
  t.equal(keys.length, 2);
  t.equal(await b.uploadsInProgress(), 0);
});
