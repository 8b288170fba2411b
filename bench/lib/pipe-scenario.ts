// Baselines and peers are shell pipelines fed by `cat CORE |`, like the composer: every scenario
// reads the core the same way, so `cat`'s cost is in every row (the ceiling row shows it alone).
import fs from 'node:fs';
import { measureShell, sh } from './measure.ts';
import type { Group, RunContext, Sample, Scenario } from './types.ts';

/** A pipeline whose output is counted locally (`| wc -c`): no disk, no network. */
export function localPipe(id: string, title: string, group: Group, command: string | undefined): Scenario {
  return {
    id, title, group, usesS3: false,
    async run(ctx: RunContext): Promise<Sample> {
      const countFile = `/tmp/cdc-bench/wc-${process.pid}`; // wc's count, kept off measure's stdout
      const cost = measureShell(ctx.tools.measure, `set -o pipefail; cat ${sh(ctx.core.path)} | ${command ? `${command} | ` : ''}wc -c > ${countFile}`);
      const outBytes = Number(fs.readFileSync(countFile, 'utf8').trim());
      fs.rmSync(countFile, { force: true });
      return { ...cost, outBytes };
    },
  };
}

/**
 * A pipeline fed the core that ends by writing one object, KEY, into the bench bucket: `sink(ctx, key)`
 * gives the shell command after `cat CORE |` and the environment it runs with.
 */
export function s3Pipe(
  id: string, title: string, sink: (ctx: RunContext, key: string) => Promise<{ command: string; env: NodeJS.ProcessEnv }> | { command: string; env: NodeJS.ProcessEnv },
  store: 's3' | 'azure' = 's3',
): Scenario {
  return {
    id, title, group: 'peer', usesS3: store === 's3', usesAzure: store === 'azure',
    async run(ctx: RunContext): Promise<Sample> {
      const key = `${id.replace(/[^a-z0-9-]/gi, '-')}-${Date.now()}`;
      const { command, env } = await sink(ctx, key);
      const cost = measureShell(ctx.tools.measure, `set -o pipefail; cat ${sh(ctx.core.path)} | ${command}`, env);
      const obj = (await (store === 'azure' ? (await ctx.azure()).objects() : ctx.s3.objects())).find((o) => o.key === key);
      if (!obj) throw new Error(`${id}: no object ${key} in the bucket`);
      return { ...cost, outBytes: obj.size };
    },
  };
}

/** A pipeline ending in `rclone rcat` (defaults: 5 MiB parts, 4 at once) into the bench bucket. */
export function rclonePipe(id: string, title: string, command: string | undefined): Scenario {
  return s3Pipe(id, title, (ctx, key) => {
    // AWS_CA_BUNDLE (set on some machines) makes rclone's AWS SDK fail on a plain-http endpoint.
    const { AWS_CA_BUNDLE: _unused, ...env } = process.env;
    return {
      command: `${command ? `${command} | ` : ''}rclone rcat ${sh(`bench:${ctx.s3.bucket}/${key}`)} 2>/dev/null`,
      env: { ...env, ...ctx.s3.rcloneEnv() },
    };
  });
}

/** `rclone rcat` (azureblob backend, its defaults) into the bench's Azurite container. */
export function rcloneAzurePipe(id: string, title: string): Scenario {
  return s3Pipe(id, title, async (ctx, key) => {
    const az = await ctx.azure();
    return { command: `rclone rcat ${sh(`azbench:${az.container}/${key}`)} 2>/dev/null`, env: { ...process.env, ...az.rcloneEnv() } };
  }, 'azure');
}
