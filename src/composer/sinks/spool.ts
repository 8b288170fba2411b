// The spool sink: the whole zip to CORE_DIR/{name}.zip (via .part), for the agent to upload later.
// Used when S3 is not configured, disabled, or refused the upload at its start.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, codeOf } from '../../shared/errors.ts';
import { checkSpoolSpace } from '../../shared/spool-space.ts';
import { dumpFiles, ensureDirSync } from '../../shared/spool/index.ts';
import { SpoolFile } from './spool-file.ts';
import { makeSink, type Sink } from './types.ts';

/** Checks the spool limits and returns the bytes this dump may use; throws CDC_SPOOL_FULL / FAILED. */
export async function spoolHeadroom(config: Config, log: Logger, what: string): Promise<number> {
  let space;
  try {
    ensureDirSync(config.coreDir);
    space = await checkSpoolSpace(config.coreDir, { maxBytes: config.spoolMaxBytes, minFreeBytes: config.spoolMinFreeBytes });
  } catch (e) {
    throw new CdcError('CDC_SPOOL_FAILED', `${config.coreDir}: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (!space.ok) {
    log.error({ event: 'SpoolRefused', code: 'CDC_SPOOL_FULL', what, reason: space.reason, usedBytes: space.usedBytes, freeBytes: space.freeBytes }, 'SpoolRefused');
    throw new CdcError('CDC_SPOOL_FULL', space.reason, { usedBytes: space.usedBytes, freeBytes: space.freeBytes });
  }
  return space.headroomBytes;
}

export async function openSpoolSink(o: { config: Config; name: string; log: Logger; reason: string }): Promise<Sink> {
  const { config, name, log, reason } = o;
  const headroom = await spoolHeadroom(config, log, 'zip');
  const file = await SpoolFile.create(path.join(config.coreDir, dumpFiles(name).zip), headroom);
  log.info({ event: 'SpoolStarted', path: file.partPath, headroomBytes: headroom, reason }, 'SpoolStarted');
  return makeSink((signal) => ({
    write: (chunks) => file.write(chunks),
    async final() {
      signal.throwIfAborted();
      const bytes = await file.commit();
      log.info({ event: 'SpoolCompleted', path: file.finalPath, bytes }, 'SpoolCompleted');
      return { kind: 'spool', path: file.finalPath, bytes, reason };
    },
    async cleanup(why) {
      await file.discard();
      log.warn({ event: 'SpoolDiscarded', code: codeOf(why), path: file.partPath, reason: why.message }, 'SpoolDiscarded');
    },
  }), log);
}
