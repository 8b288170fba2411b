// A small seeded generator for generated test inputs: the same seed gives the same cases, so a
// failure found once is found again.
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
