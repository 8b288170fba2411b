// Runs the built composer (dist/cdc.cjs) the way the kernel does: installed like the agent
// installs it (test/helpers/composer-install.ts: runtime symlink, launcher, 0600 .env), cwd /,
// an empty environment (`env -i`), the core on a pipe, flags as in core_pattern.
import fs from 'node:fs';
import path from 'node:path';
import { installComposer, type InstalledComposer } from '../../test/helpers/composer-install.ts';
import { composerS3Env } from './s3.ts';
import { summaryPrefix } from '../../src/shared/spool/names.ts';
import { measureShell, sh } from './measure.ts';
import type { RunContext, Sample, Scenario } from './types.ts';

const RLIM_INFINITY = '18446744073709551615'; // what the kernel prints for %c when unlimited

/** `store`: S3 (the bench's RGW) or Azure (its Azurite, lib/azure.ts); `prefix`: a command the
 * composer runs under, e.g. `taskset -c 0` (the scaling rows); `tunedMemory`: see Scenario. */
export function composerScenario(id: string, title: string, env: Record<string, string>, mode: 'direct' | 'spool', o: { store?: 's3' | 'azure'; prefix?: string; tunedMemory?: string } = {}): Scenario {
  const store = o.store ?? 's3';
  const prefix = o.prefix ?? '';
  let inst: InstalledComposer | undefined;
  return {
    id, title, group: 'composer', usesS3: mode === 'direct' && store === 's3', usesAzure: store === 'azure',
    ...(o.tunedMemory ? { tunedMemory: o.tunedMemory } : {}),
    async run(ctx: RunContext): Promise<Sample> {
      const storeEnv = store === 'azure'
        ? (await ctx.azure()).env()
        : composerS3Env(ctx.s3);
      inst ??= installComposer({ ...storeEnv, COMP_DIRECT_UPLOAD: mode === 'direct' ? 'true' : 'false', ...env });
      const logLines = inst.log().length;
      // $$ (the shell) stands in for the crashed pid: a live process whose /proc can be read.
      const flags = `-c=${RLIM_INFINITY} -e=bench -p=$$ -s=11 -t=$(date +%s) -h=bench -P=$$`;
      const cost = measureShell(ctx.tools.measure, `cd / && cat ${sh(ctx.core.path)} | ${prefix ? `${prefix} ` : ''}env -i ${sh(inst.launcher)} ${flags}`);
      const log = inst.log().slice(logLines);
      const finished = log.find((l) => l.event === 'DumpFinished');
      const drained = log.find((l) => l.event === 'CoreDrained');
      const want = mode === 'direct' ? 'stored' : 'spooled';
      if (finished?.outcome !== want) {
        // The composer's own warnings say why (a stall, a refusal): the bench's report keeps them.
        const why = log.filter((l) => Number(l.level) >= 40).map((l) => `${String(l.code)}: ${String(l.msg)} ${String(l.err ?? '')}`.trim());
        throw new Error(`${id}: composer outcome ${String(finished?.outcome)}, wanted ${want}; ${why.join('; ') || 'no warning logged'}`);
      }
      if (drained?.bytes !== ctx.core.bytes) throw new Error(`${id}: composer read ${String(drained?.bytes)} of ${ctx.core.bytes} bytes`);
      let outBytes: number;
      if (mode === 'direct') {
        // The dump summary cdh lists (S3 only) is stored beside the zip: not the dump.
        const objs = (await (store === 'azure' ? (await ctx.azure()).objects() : ctx.s3.objects())).filter((o) => !o.key.startsWith(summaryPrefix('')));
        if (objs.length !== 1) throw new Error(`${id}: ${objs.length} objects (zips) in the store, wanted 1`);
        outBytes = objs[0]!.size;
      } else {
        const zips = fs.readdirSync(inst.coreDir).filter((f) => f.endsWith('.zip'));
        if (zips.length !== 1) throw new Error(`${id}: ${zips.length} zips in ${inst.coreDir}`);
        const zip = path.join(inst.coreDir, zips[0]!);
        outBytes = fs.statSync(zip).size;
        fs.rmSync(zip);
      }
      for (const f of fs.readdirSync(inst.eventDir)) fs.rmSync(path.join(inst.eventDir, f)); // agent records
      return { ...cost, outBytes, composerRssKiB: Number(finished.maxRssKiB), heldMs: Number(drained.heldMs) };
    },
    dispose() {
      inst?.remove();
    },
  };
}
