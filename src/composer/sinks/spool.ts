// The spool sink: the whole zip to CORE_DIR/{name}.zip (via .part), for the agent to upload later.
// Used when S3 is not configured, disabled, or refused the upload at its start.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CdcError, codeOf, isCdcError } from '../../shared/errors.ts';
import { SpoolReservation } from '../../shared/spool-space.ts';
import { dumpFiles, ensureDirSync, partFile } from '../../shared/spool/index.ts';
import { SpoolFile } from './spool-file.ts';
import { makeSink, type Sink } from './types.ts';
import { copied } from '../../shared/gc-pacer.ts';

/** Spool space reserved first, before a byte is written; it grows as the file does (spool-file.ts). */
const FIRST_RESERVATION = 1024 * 1024;

/** Reserves spool space for `file` in CORE_DIR; throws CDC_SPOOL_FULL / CDC_SPOOL_FAILED. */
export async function reserveSpool(config: Config, log: Logger, what: string, file: string): Promise<SpoolReservation> {
  try {
    ensureDirSync(config.coreDir);
    return await SpoolReservation.take(config.coreDir, { maxBytes: config.spoolMaxBytes, minFreeBytes: config.spoolMinFreeBytes }, partFile(file), FIRST_RESERVATION);
  } catch (e) {
    if (isCdcError(e, 'CDC_SPOOL_FULL')) {
      log.error({ event: 'SpoolRefused', code: 'CDC_SPOOL_FULL', what, reason: e.detail, ...e.details }, 'SpoolRefused');
      throw e;
    }
    throw new CdcError('CDC_SPOOL_FAILED', `${config.coreDir}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

export async function openSpoolSink(o: { config: Config; name: string; log: Logger; reason: string }): Promise<Sink> {
  const { config, name, log, reason } = o;
  const zip = dumpFiles(name).zip;
  const file = await SpoolFile.create(path.join(config.coreDir, zip), await reserveSpool(config, log, 'zip', zip));
  log.info({ event: 'SpoolStarted', path: file.partPath, reason }, 'SpoolStarted');
  return makeSink((signal) => ({
    async write(chunks) {
      await file.write(chunks);
      // In the kernel now: hand the zip writer's pieces back at once, as the part uploader does,
      // rather than leave them to a collection (a 1 GiB deflate-1 spool peaked at 151 MiB so).
      for (const c of chunks) copied(c);
    },
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
