// Fuzzes the core reader with mutated cores (header, program headers and notes from real cores in
// test/fixtures/cores), fed in random chunk sizes, sometimes followed by filler standing for the
// memory segments; each input must be read without throwing, within bounded memory.
import fs from 'node:fs';
import path from 'node:path';
import { CoreReader, FIRST_PAGE, MAX_MODULES, STACK_WINDOW } from '../../../src/composer/triage/core-reader.ts';
import { analyse } from '../../../src/composer/triage/analysis.ts';
import { mutate, Rng } from './mutate.ts';

export const FIXTURES = new URL('../../fixtures/cores/', import.meta.url).pathname;

export function seeds(): Buffer[] {
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.notes')).sort().map((f) => fs.readFileSync(path.join(FIXTURES, f)));
}

const FILLER = Buffer.alloc(64 << 10, 0x5a);
const MAX_FILLER = 1 << 20;

/** Runs `count` inputs from `seed`; throws on the first input that breaks an invariant. */
export function fuzz(count: number, seed: number): { inputs: number; withFrames: number } {
  const corpus = seeds();
  const rng = new Rng(seed);
  let withFrames = 0;
  for (let i = 0; i < count; i++) {
    const input = mutate(corpus[i % corpus.length]!, rng);
    const r = new CoreReader();
    for (let at = 0; at < input.length;) {
      const n = 1 + rng.below(rng.below(4) === 0 ? 16 : 4096);
      r.observe(input.subarray(at, at + n));
      at += n;
    }
    if (rng.below(8) === 0) for (let sent = 0; sent < MAX_FILLER; sent += FILLER.length) r.observe(FILLER);
    const f = r.finish();
    const a = analyse(f, 'fuzz');
    if (f.stack && f.stack.bytes.length > STACK_WINDOW) throw new Error(`input ${i}: stack window of ${f.stack.bytes.length}`);
    if (f.firstPages.size > MAX_MODULES || [...f.firstPages.values()].some((p) => p.length > FIRST_PAGE)) throw new Error(`input ${i}: pages over their bound`);
    if (typeof a.fingerprint !== 'string' || a.fingerprint.length !== 16) throw new Error(`input ${i}: no fingerprint`);
    if (a.frames.length > 1) withFrames++;
  }
  return { inputs: count, withFrames };
}
