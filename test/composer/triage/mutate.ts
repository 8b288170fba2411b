// A small mutator for fuzzing the core reader: bit flips, interesting integers (0, -1, 2^31, ...)
// at aligned offsets (sizes, counts, offsets in headers and notes), bytes copied over each other,
// and truncation. Deterministic per seed, fast enough for millions of inputs in-process.
const INTERESTING = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 4096n, 56n, 64n];

export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  next(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s; }
  below(n: number): number { return this.next() % n; }
}

export function mutate(seed: Buffer, rng: Rng): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + rng.below(8);
  for (let r = 0; r < rounds; r++) {
    switch (rng.below(6)) {
      case 0: { const i = rng.below(b.length); b[i]! ^= 1 << rng.below(8); break; }
      case 1: { const i = rng.below(b.length); b[i] = rng.below(256); break; }
      case 2: {
        const at = rng.below(b.length >> 2) << 2, v = INTERESTING[rng.below(INTERESTING.length)]!;
        if (at + 8 <= b.length && rng.below(2)) b.writeBigUInt64LE(v & 0xffffffffffffffffn, at);
        else if (at + 4 <= b.length) b.writeUInt32LE(Number(v & 0xffffffffn), at);
        break;
      }
      case 3: { const from = rng.below(b.length), to = rng.below(b.length), n = rng.below(64); b.copy(b, to, from, Math.min(b.length, from + n)); break; }
      case 4: b = b.subarray(0, rng.below(b.length) + 1); break;
      default: { const at = 56 + rng.below(Math.max(1, b.length - 56)); if (at + 2 <= b.length) b.writeUInt16LE(rng.below(65536), at); }
    }
  }
  return b;
}
