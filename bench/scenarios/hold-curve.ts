// How long a crashed process is held against the release buffer's size (issue 12): real kernel
// crashes of a 64 MiB and a 256 MiB process, the composer (direct deflate-1) with
// COMP_RELEASE_BUFFER_MIB 0 / 64 / 128 / 256 / 512, each beside the drain-only handler in the same
// round. The buffer is a file in CORE_DIR (release-file.ts), so every setting runs at the default
// COMP_MEMORY_MIB.
import { withCorePattern } from '../../test/helpers/core-pattern.ts';
import { installComposer, type InstalledComposer } from '../../test/helpers/composer-install.ts';
import { composerS3Env, type BenchS3 } from '../lib/s3.ts';
import type { Tools } from '../lib/tools.ts';
import { crashOnce, crashThrough, drainHandler } from './kernel-hold.ts';
import { DEFAULT_MEMORY_MIB } from '../../src/shared/memory-plan.ts';

export const CURVE_FILL_MIBS = [64, 256] as const;
export const CURVE_BUFFER_MIBS = [0, 64, 128, 256, 512] as const;

export interface CurvePoint {
  fillMiB: number;
  bufferMiB: number;
  memoryMiB: number;
  heldMs: number[]; // crash -> reaped, composer
  drainHeldMs: number[]; // crash -> reaped, drain-only, same rounds
  rssMiB: number[]; // the composer's peak RSS (DumpFinished)
}

export async function runHoldCurve(tools: Tools, s3: BenchS3, crashes: number, log: (s: string) => void): Promise<CurvePoint[]> {
  const drain = drainHandler();
  const points: CurvePoint[] = [];
  const store = composerS3Env(s3);
  for (const fillMiB of CURVE_FILL_MIBS) {
    for (const bufferMiB of CURVE_BUFFER_MIBS) {
      const memoryMiB = DEFAULT_MEMORY_MIB;
      const inst: InstalledComposer = installComposer({
        ...store, COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1', COMP_RELEASE_BUFFER_MIB: String(bufferMiB),
      });
      const p: CurvePoint = { fillMiB, bufferMiB, memoryMiB, heldMs: [], drainHeldMs: [], rssMiB: [] };
      try {
        for (let i = 0; i < crashes; i++) {
          await withCorePattern(`|${drain}`, async () => { p.drainHeldMs.push(crashOnce(tools, fillMiB)[1]); });
          const r = await crashThrough(inst, tools, fillMiB);
          p.heldMs.push(r.heldMs);
          p.rssMiB.push(Number(r.lines.find((l) => l.event === 'DumpFinished')!.maxRssKiB) / 1024);
          await s3.clear();
        }
      } finally {
        inst.remove();
      }
      log(`  ${fillMiB} MiB process, release buffer ${bufferMiB} MiB: held ${p.heldMs.map((x) => x.toFixed(0)).join(' ')} ms (drain-only ${p.drainHeldMs.map((x) => x.toFixed(0)).join(' ')})`);
      points.push(p);
    }
  }
  return points;
}
