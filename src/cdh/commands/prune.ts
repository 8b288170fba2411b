// cdh prune --older-than AGE [--dry-run]: deletes old dumps (zip and summary). The store's own
// expiry does this better (no client has to run): an S3 lifecycle rule, or an Azure storage
// account's lifecycle management policy; prune says how.
import type { ObjectStore } from '../../shared/object-store.ts';
import { CdcError } from '../../shared/errors.ts';
import { parseDuration } from '../filters.ts';
import { formatTime } from '../format.ts';
import type { Context } from '../context.ts';
import { dumpJson, selectedDumps } from './list.ts';

function lifecycleHint(store: ObjectStore, prefix: string, days: number): string {
  const shared = '(zips and their cdh-index summaries share the prefix)';
  if (store.kind === 'azure') {
    // Account-wide, so its filter names the container; staged blocks never committed expire by themselves.
    const policy = { rules: [{ name: 'core-dump-expiry', enabled: true, type: 'Lifecycle', definition: {
      filters: { blobTypes: ['blockBlob'], prefixMatch: [`${store.name}/${prefix}`] },
      actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: days } } } } }] };
    return `hint: a lifecycle management policy on the storage account deletes dumps without cdh ${shared}:\n` +
      `  az storage account management-policy create --account-name ACCOUNT --resource-group GROUP --policy '${JSON.stringify(policy)}'\n`;
  }
  const rule = { Rules: [{ ID: 'core-dump-expiry', Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: { Days: days },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] };
  return `hint: a lifecycle rule expires dumps without cdh ${shared}:\n` +
    `  aws s3api put-bucket-lifecycle-configuration --bucket ${store.name} --lifecycle-configuration '${JSON.stringify(rule)}'\n`;
}

export async function prune(ctx: Context): Promise<number> {
  const age = ctx.inv.values['older-than'];
  if (typeof age !== 'string') throw new CdcError('CDC_CLI_USAGE', 'prune needs --older-than AGE (e.g. 30d)');
  const cutoff = ctx.now() - parseDuration(age, 'older-than');
  const store = await ctx.store();
  const old = (await selectedDumps(ctx)).filter((d) => d.state === 'stored' && d.time < cutoff);
  const dry = Boolean(ctx.inv.values['dry-run']);
  const queue = [...old];
  const work = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      if (!dry) {
        await store.objects.delete(d.key);
        if (d.summaryKey) await store.objects.delete(d.summaryKey);
      }
      if (ctx.inv.values.json) ctx.out(JSON.stringify({ ...dumpJson(d), deleted: !dry }) + '\n');
      else ctx.out(`${dry ? 'would delete' : 'deleted'} ${d.uuid.slice(0, 8)} ${formatTime(d.time)} ${d.key}\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
  ctx.err(`${old.length} dump${old.length === 1 ? '' : 's'} older than ${age} ${dry ? 'would be deleted (dry run: nothing deleted)' : 'deleted'}\n`);
  ctx.err(lifecycleHint(store.objects, store.keyPrefix, Math.max(1, Math.ceil(parseDuration(age, 'older-than') / 86400e3))));
  return 0;
}
