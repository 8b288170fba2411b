// Builds the host-side composer (dist/cdc.cjs) and the agent (dist/agent.cjs) as single CommonJS
// files: everything bundled, nothing native, nothing to resolve from node_modules at run time.
// `--outdir DIR` writes the two files elsewhere (the image build uses it; dist/ stays untouched).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const i = process.argv.indexOf('--outdir');
const outdir = i > 0 && process.argv[i + 1] ? process.argv[i + 1] : 'dist';
const entries = [
  { in: 'src/composer/main.ts', out: path.join(outdir, 'cdc.cjs') },
  { in: 'src/agent/main.ts', out: path.join(outdir, 'agent.cjs') },
].filter((e) => fs.existsSync(e.in));

fs.mkdirSync(outdir, { recursive: true });
for (const e of entries) {
  await build({
    entryPoints: [e.in],
    outfile: e.out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Optional peers that pino and the AWS SDK probe for but never need here.
    external: ['pino-pretty', 'aws-crt', '@aws-sdk/signature-v4-crt'],
    define: { 'process.env.CDC_BUNDLED': '"1"' },
  });
  const kib = Math.round(fs.statSync(e.out).size / 1024);
  console.log(`built ${e.out} (${kib} KiB)`);
}
