// Builds the host-side composer (dist/cdc.cjs) and the agent (dist/agent.cjs) as single CommonJS
// files: everything bundled, nothing native, nothing to resolve from node_modules at run time.
// `--outdir DIR` writes the two files elsewhere (the image build uses it; dist/ stays untouched).
// The entries and esbuild options are in bundles.ts (the dependencies test builds from them too).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLES, bundleOptions } from './bundles.ts';

const i = process.argv.indexOf('--outdir');
const outdir = i > 0 && process.argv[i + 1] ? process.argv[i + 1] : 'dist';
const entries = BUNDLES.filter((b) => fs.existsSync(b.entry));

fs.mkdirSync(outdir, { recursive: true });
for (const b of entries) {
  const out = path.join(outdir, b.file);
  const opts = bundleOptions(b.entry, out);
  await build(opts);
  if (opts.banner) fs.chmodSync(out, 0o755); // a command (package bin)
  const kib = Math.round(fs.statSync(out).size / 1024);
  console.log(`built ${out} (${kib} KiB)`);
}
