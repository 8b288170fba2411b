// The two shipped bundles and the esbuild options that make them: one place, shared by build.mjs
// (which writes them) and test/native-free/dependencies.test.ts (which checks, from esbuild's
// metafile, that package.json `dependencies` names exactly the packages they bundle).
import type { BuildOptions } from 'esbuild';

export const BUNDLES = [
  { entry: 'src/composer/main.ts', file: 'cdc.cjs' },
  { entry: 'src/agent/main.ts', file: 'agent.cjs' },
  // The dump browser: `node dist/cdh.cjs`, the package's `cdh` / `kubectl-coredump` bins, /app/cdh in the image.
  { entry: 'src/cdh/main.ts', file: 'cdh.cjs' },
];

/** Bundles run as commands get a shebang (the package's bins). */
const SHEBANG = new Set(['cdh.cjs']);

/**
 * Optional peers that pino, the AWS SDK and the Azure SDK (through `debug`, which tries
 * supports-color for coloured terminal output) probe for but never need here.
 */
export const EXTERNAL = ['pino-pretty', 'aws-crt', '@aws-sdk/signature-v4-crt', 'supports-color'];

export function bundleOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    external: EXTERNAL,
    // ESM dependencies (the Azure SDK's CRC-64 module) build a require from import.meta.url,
    // which a CommonJS bundle lacks: give it the bundle's own file URL.
    define: { 'process.env.CDC_BUNDLED': '"1"', 'import.meta.url': '__cdcBundleUrl' },
    banner: { js: `${SHEBANG.has(outfile.split('/').pop()!) ? '#!/usr/bin/env node\n' : ''}var __cdcBundleUrl=require('node:url').pathToFileURL(__filename).href;` },
  };
}
