// The dump's summary as S3 object metadata (x-amz-meta-*), so a listing or HeadObject tells what
// crashed without downloading the zip. It is set when the upload is created, which happens once the
// core is read or COMP_EARLY_BUFFER_MIB of zip is queued (sinks/deferred.ts): the pod fields and the
// signal are known by then; the fingerprint only once the crashing thread's stack has streamed by,
// which for a core whose zip outgrows the early buffer is usually later (the stack is the last
// segment), so it is then left out (crash.json always has it). Values are printable ASCII (HTTP
// header values), each at most MAX_VALUE characters: well under S3's 2 KiB for all of them.
import type { CrashContext } from './crash-context.ts';
import type { Early } from './triage/index.ts';

const MAX_VALUE = 200;

const ascii = (v: string) => v.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_VALUE);

export function objectMetadata(ctx: CrashContext, early: Early | undefined): Record<string, string> {
  const m = ctx.meta;
  const signal = early?.signal ?? (ctx.args.signal === undefined ? undefined : String(ctx.args.signal));
  const fields: Record<string, string | undefined> = {
    namespace: m?.pod?.namespace, pod: m?.pod?.name, container: m?.container, image: m?.image,
    node: ctx.nodeHostname, signal, fingerprint: early?.fingerprint,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v) out[k] = ascii(v);
  return out;
}
