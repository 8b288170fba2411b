// Long fuzz run of the triage core reader: node scripts/fuzz-core-reader.ts [inputs] [seed]
import { fuzz } from '../test/composer/triage/fuzz-reader.ts';

const count = Number(process.argv[2] ?? 2_000_000), seed = Number(process.argv[3] ?? Date.now() % 1e9);
const t0 = performance.now();
const r = fuzz(count, seed);
console.log(JSON.stringify({ ...r, seed, seconds: Math.round((performance.now() - t0) / 1000) }));
