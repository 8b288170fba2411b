// Where the composer's main thread spends its time: one run under `node --cpu-prof`, the profile
// folded into self time per function. zlib and zstd work runs in libuv's threadpool and does not
// show here; main-thread idle time is the share spent waiting (for stdin, the threadpool or S3).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installComposer, NODE } from '../../test/helpers/composer-install.ts';
import { composerS3Env } from './s3.ts';
import { sh } from './measure.ts';
import type { RunContext } from './types.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary { codec: string; coreMiB: number; totalMs: number; idlePct: number; gcPct: number; top: { name: string; pct: number }[] }

export async function profileComposer(ctx: RunContext, codec: string): Promise<ProfileSummary> {
  const inst = installComposer({
    ...composerS3Env(ctx.s3), COMP_CODEC: codec, COMP_COMPRESSION_LEVEL: '1',
  });
  try {
    const profDir = path.join(inst.dir, 'prof');
    // cdc.cjs run directly (not via the launcher) so node takes --cpu-prof; it finds .env beside it.
    execFileSync('bash', ['-c', `cd / && cat ${sh(ctx.core.path)} | env -i ${sh(NODE)} --cpu-prof --cpu-prof-dir=${sh(profDir)} ${sh(path.join(inst.dir, 'cdc.cjs'))} -c=18446744073709551615 -e=bench -p=$$ -s=11 -h=bench -P=$$`]);
    await ctx.s3.clear();
    const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    return summarize(JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile, codec, ctx.core.mib);
  } finally {
    inst.remove();
  }
}

function summarize(p: CpuProfile, codec: string, coreMiB: number): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = p.timeDeltas[i] ?? 0;
    const f = n.callFrame;
    const name = f.url ? `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}` : f.functionName;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  const pct = (name: string) => (100 * (self.get(name) ?? 0)) / total;
  const top = [...self.entries()].filter(([n]) => n !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 10)
    .map(([name, us]) => ({ name, pct: (100 * us) / total }));
  return { codec, coreMiB, totalMs: total / 1000, idlePct: pct('(idle)'), gcPct: pct('(garbage collector)'), top };
}
