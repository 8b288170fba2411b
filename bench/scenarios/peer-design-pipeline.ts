// The design's pipeline (bench/design-pipeline.ts): zip-stream deflate-1 into lib-storage's Upload,
// what our own zip writer and multipart writer replaced; compared with cdc-deflate-1 in the report.
import path from 'node:path';
import { NODE } from '../../test/helpers/composer-install.ts';
import { s3Pipe } from '../lib/pipe-scenario.ts';
import { sh } from '../lib/measure.ts';
import { ROOT, WORK } from '../lib/paths.ts';

// lib-storage's defaults for a body of unknown length (ours: 8 MiB parts, 4 at once).
const PART_MIB = 5;
const QUEUE_SIZE = 4;
const SCRIPT = path.join(ROOT, 'bench/design-pipeline.ts');

export default s3Pipe('design-pipeline', `design: zip-stream -1 | lib-storage (${PART_MIB} MiB x ${QUEUE_SIZE})`, (ctx, key) => ({
  // An empty environment, like the composer under the kernel; a V8 compile cache, as its launcher has.
  command: `env -i NODE_COMPILE_CACHE=${sh(path.join(WORK, 'design-cache'))} ${[NODE, SCRIPT, ctx.s3.endpoint, ctx.s3.bucket, key, String(PART_MIB), String(QUEUE_SIZE)].map(sh).join(' ')}`,
  env: process.env,
}));
