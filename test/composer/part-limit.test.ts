// Growing parts against the real RGW: a core over 1 GiB stored whole within a low S3_MAX_PARTS
// (parts grow as the schedule says), a core that cannot fit cut at a point chosen in time, never
// failed at the last part; COMP_MAX_CORE_MIB, the rest drained unstored; the release buffer.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket } from '../helpers/s3.ts';
import { installComposer } from '../helpers/composer-install.ts';
import { runComposer, mixedData } from '../helpers/run-composer.ts';
import { unzipTest, zipEntry } from '../helpers/zip-check.ts';

const ARGS = ['-c=18446744073709551615', '-e=bigapp', '-p=1', '-s=6', '-t=1700000000', '-h=node-a'];
const MiB = 1024 * 1024;

async function crcOf(bytes: number): Promise<number> {
  let crc = 0;
  for await (const b of mixedData(bytes)) crc = crc32(b, crc);
  return crc;
}

/**
 * Runs the composer on `bytes` of core with `env` into a new bucket; checks it exited 0 with the
 * zip stored and whole (`unzip -t`); returns its log and dump-info.
 */
async function storeDump(t: Test, env: Record<string, string>, bytes: number): Promise<{ log: Array<Record<string, unknown>>; info: Record<string, unknown> }> {
  const b = await createTestBucket('parts');
  t.teardown(() => b.destroy());
  const c = installComposer({ ...b.env, ...env });
  t.teardown(() => c.remove());
  const r = await runComposer(c.launcher, ARGS, mixedData(bytes));
  t.equal(r.code, 0);
  const log = c.log();
  t.equal(log.find((l) => l.event === 'DumpFinished')?.outcome, 'stored');
  const [key] = (await b.keys()).filter((k) => k.endsWith('.zip'));
  const file = path.join(t.testdir(), 'dump.zip');
  const out = await b.client.send(new GetObjectCommand({ Bucket: b.name, Key: key! }));
  await pipeline(out.Body as Readable, fs.createWriteStream(file));
  t.match(unzipTest(file), /No errors detected/);
  t.equal(await b.uploadsInProgress(), 0);
  const info = JSON.parse(zipEntry(file, key!.replace(/\.zip$/, '-dump-info.json')).toString('utf8')) as Record<string, unknown>;
  return { log, info };
}

t.test('S3_MAX_PARTS=20: a 1.1 GiB core is stored whole in growing parts', async (t) => {
  const bytes = 1100 * MiB;
  // 256 MiB of memory, stored: parts of 8 MiB doubling every 2 parts up to 85 MiB (a third of the
  // memory: two in flight while one fills); 20 parts hold 1,260 MiB.
  const { log, info } = await storeDump(t, { S3_MAX_PARTS: '20', COMP_MEMORY_MIB: '256', COMP_CODEC: 'store', COMP_LOG_LEVEL: 'debug' }, bytes);
  const parts = log.filter((l) => l.event === 'PartUploaded').map((l) => Number(l.bytes) / MiB);
  t.ok(parts.length <= 20, `${parts.length} parts, within S3_MAX_PARTS`);
  t.same(parts.slice(0, 6).sort((a, b) => a - b), [8, 8, 16, 16, 32, 32], 'small parts first');
  t.ok(Math.max(...parts) === 85, 'then parts grown to the largest the memory allows');
  t.same({ bytes: info.core_bytes, seen: info.core_seen_bytes, truncated: info.core_truncated, crc: info.core_crc32 },
    { bytes, seen: bytes, truncated: false, crc: await crcOf(bytes) }, 'the whole core, byte for byte (CRC)');
});

t.test('a core the part limit cannot hold is cut before the limit: stored, marked part_limit, the rest drained', async (t) => {
  // The default 32 MiB of memory, 4 parts: 8 + 10 + 10 + 10 = 38 MiB; the core is cut at 38 MiB of
  // zip less the 16 MiB kept for the zip's tail, near 22 MiB.
  const { log, info } = await storeDump(t, { S3_MAX_PARTS: '4', COMP_CODEC: 'store' }, 150 * MiB);
  t.match(log.find((l) => l.event === 'CoreCutAtPartLimit'), { code: 'CDC_S3_PART_LIMIT', level: 40 });
  t.match(info, { core_truncated: true, core_truncated_reason: 'part_limit', core_seen_bytes: 150 * MiB });
  t.ok(Number(info.core_bytes) > 16 * MiB && Number(info.core_bytes) < 38 * MiB, `core entry ${Number(info.core_bytes) / MiB} MiB`);
});

t.test('COMP_MAX_CORE_MIB: the core entry ends at the cap, dump-info says so and how much was seen', async (t) => {
  const { info } = await storeDump(t, { COMP_MAX_CORE_MIB: '10' }, 64 * MiB);
  t.match(info, { core_bytes: 10 * MiB, core_seen_bytes: 64 * MiB, core_truncated: true, core_truncated_reason: 'max_core_size' });
  t.equal(info.core_crc32, await crcOf(10 * MiB), 'the first 10 MiB, exactly');
});

t.test('COMP_RELEASE_BUFFER_MIB out of COMP_MEMORY_MIB: the dump is still stored whole', async (t) => {
  const { info } = await storeDump(t, { COMP_MEMORY_MIB: '128', COMP_RELEASE_BUFFER_MIB: '64' }, 96 * MiB);
  t.match(info, { core_bytes: 96 * MiB, core_seen_bytes: 96 * MiB, core_truncated: false, core_crc32: await crcOf(96 * MiB) });
});
