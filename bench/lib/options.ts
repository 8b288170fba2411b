// Bench options, from flags (--quick, --sizes=64,1024, --classes=mixed,compressible, --runs=3,
// --only=a,b, --no-write) or the same as env (CDC_BENCH_QUICK=1, CDC_BENCH_SIZES, CDC_BENCH_CLASSES,
// CDC_BENCH_RUNS, CDC_BENCH_ONLY, CDC_BENCH_NO_WRITE=1),
// plus CDC_BENCH_S3_ENDPOINT (+ CDC_BENCH_S3_DIR, the RGW's state dir, to reclaim space),
// CDC_BENCH_BUDGET_MIN (default 25) and CDC_BENCH_HOLD_CRASHES (default 7).
import { CORE_CLASSES, type CoreClass } from './cores.ts';

export interface Options {
  sizesMiB: number[];
  /** Core classes run at every size (cores.ts); a quick run takes the mixed one only. */
  classes: CoreClass[];
  runs: number;
  only: string[] | undefined; // scenario ids, or undefined for all
  write: boolean; // write bench/RESULTS.md
  quick: boolean;
  budgetMin: number;
  holdCrashes: number;
  profile: boolean;
  s3Endpoint: string | undefined;
  s3Dir: string | undefined;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}; flags: --quick --sizes=64,1024 --runs=N --only=id,id --no-write`);
    flags.set(m[1]!, m[2] ?? '1');
  }
  const get = (flag: string, name: string): string | undefined => flags.get(flag) ?? env[`CDC_BENCH_${name}`];
  const quick = get('quick', 'QUICK') === '1';
  const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);
  const sizes = list(get('sizes', 'SIZES'))?.map(Number) ?? (quick ? [64] : [64, 1024, 4096]);
  if (sizes.some((n) => !Number.isInteger(n) || n < 8)) throw new Error('sizes are whole MiB >= 8');
  const classes = (list(get('classes', 'CLASSES')) ?? (quick ? ['mixed'] : [...CORE_CLASSES])) as CoreClass[];
  const unknown = classes.find((c) => !CORE_CLASSES.includes(c));
  if (unknown) throw new Error(`unknown core class ${unknown}; classes: ${CORE_CLASSES.join(', ')}`);
  return {
    sizesMiB: sizes,
    classes,
    runs: Number(get('runs', 'RUNS') ?? (quick ? 1 : 3)),
    only: list(get('only', 'ONLY')),
    // A partial run must not overwrite the committed full results unless asked to.
    write: get('no-write', 'NO_WRITE') !== '1' && (get('write', 'WRITE') === '1' || (!quick && !get('only', 'ONLY') && !get('sizes', 'SIZES') && !get('classes', 'CLASSES'))),
    quick,
    budgetMin: Number(get('budget', 'BUDGET_MIN') ?? 25),
    holdCrashes: Number(get('hold-crashes', 'HOLD_CRASHES') ?? (quick ? 3 : 7)),
    profile: get('profile', 'PROFILE') === undefined ? !quick : get('profile', 'PROFILE') === '1',
    s3Endpoint: env.CDC_BENCH_S3_ENDPOINT || undefined,
    s3Dir: env.CDC_BENCH_S3_DIR || undefined,
  };
}
