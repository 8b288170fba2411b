// cdh prune --older-than AGE [--dry-run]: deletes old dumps (zip and summary). A bucket lifecycle
// rule does this better where the store has one (no client has to run), so prune says how.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { CdcError } from '../../shared/errors.ts';
import { parseDuration } from '../filters.ts';
import { formatTime } from '../format.ts';
import type { Context } from '../context.ts';
import { dumpJson, selectedDumps } from './list.ts';

function lifecycleHint(bucket: string, prefix: string, days: number): string {
  const rule = { Rules: [{ ID: 'core-dump-expiry', Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: { Days: days },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] };
  return `hint: a lifecycle rule expires dumps without cdh (zips and their cdh-index summaries share the prefix):\n` +
    `  aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} --lifecycle-configuration '${JSON.stringify(rule)}'\n`;
}

export async function prune(ctx: Context): Promise<number> {
  const age = ctx.inv.values['older-than'];
  if (typeof age !== 'string') throw new CdcError('CDC_CLI_USAGE', 'prune needs --older-than AGE (e.g. 30d)');
  const cutoff = ctx.now() - parseDuration(age, 'older-than');
  const store = ctx.store();
  const old = (await selectedDumps(ctx)).filter((d) => d.state === 'stored' && d.time < cutoff);
  const dry = Boolean(ctx.inv.values['dry-run']);
  const queue = [...old];
  const work = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      if (!dry) {
        await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: d.key }));
        if (d.summaryKey) await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: d.summaryKey }));
      }
      if (ctx.inv.values.json) ctx.out(JSON.stringify({ ...dumpJson(d), deleted: !dry }) + '\n');
      else ctx.out(`${dry ? 'would delete' : 'deleted'} ${d.uuid.slice(0, 8)} ${formatTime(d.time)} ${d.key}\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
  ctx.err(`${old.length} dump${old.length === 1 ? '' : 's'} older than ${age} ${dry ? 'would be deleted (dry run: nothing deleted)' : 'deleted'}\n`);
  ctx.err(lifecycleHint(store.bucket, store.keyPrefix, Math.max(1, Math.ceil(parseDuration(age, 'older-than') / 86400e3))));
  return 0;
}
