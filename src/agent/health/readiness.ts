// Readiness = the kernel pipes cores to our composer AND, when a store is configured, it answers
// (S3: HeadBucket; Azure: Get Container Properties, through `probe`). No store is a valid install
// (dumps stay spooled in CORE_DIR), so it is Ready.
// The HeadBucket answer is cached (readyCacheMs) so frequent probes never hammer S3.
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../shared/errors.ts';
import { isOurPattern } from '../install/core-pattern.ts';
import { readSysctl, SYSCTLS } from '../install/sysctl.ts';
import type { ReadyCheck } from './server.ts';

export interface StoreProbe { readonly what: string; run(): Promise<unknown> }

export function readinessCheck(o: {
  procSys: string; hostDir: string; client: S3Client | undefined; bucket: string | undefined; probe?: StoreProbe; cacheMs: number;
  /** A failed host check (host-checks.ts): not Ready, whatever core_pattern says. */
  hostProblem?: () => string | undefined; now?: () => number;
}): () => Promise<ReadyCheck> {
  let cached: { at: number; error: string | undefined } | undefined;
  const now = o.now ?? Date.now;
  const bucketError = async (): Promise<string | undefined> => {
    const client = o.client, bucket = o.bucket;
    const probe = o.probe ?? (client && bucket ? { what: `bucket ${bucket} did not answer HeadBucket`, run: () => client.send(new HeadBucketCommand({ Bucket: bucket })) } : undefined);
    if (!probe) return undefined;
    if (cached && now() - cached.at < o.cacheMs) return cached.error;
    let error: string | undefined;
    try {
      await probe.run();
    } catch (e) {
      error = `${probe.what}: ${describeError(e)}`;
    }
    cached = { at: now(), error };
    return error;
  };
  return async () => {
    const reasons: string[] = [];
    const host = o.hostProblem?.();
    if (host) reasons.push(host);
    const pattern = await readSysctl(o.procSys, SYSCTLS.corePattern).catch((e) => `unreadable: ${describeError(e)}`);
    if (!isOurPattern(pattern, o.hostDir)) reasons.push(`core_pattern is not ours: ${pattern.slice(0, 130)}`);
    const err = await bucketError();
    if (err) reasons.push(err);
    return { ready: reasons.length === 0, reasons };
  };
}
