// What starts a sweep, besides the startup one: inotify on CORE_DIR (USE_INOTIFY), a fixed INTERVAL
// in ms, and a cron SCHEDULE. Any combination may be on; the uploader's single-flight makes
// overlapping triggers harmless.
import fs from 'node:fs';
import { Cron } from 'croner';
import type { Logger } from '../../shared/log.ts';
import { describeError } from '../../shared/errors.ts';

export interface TriggerOptions {
  coreDir: string;
  eventDir: string;
  useInotify: boolean;
  intervalMs: number;
  schedule: string;
  sweep: (trigger: string) => void;
  /** Records: watched always, so "stored in S3" events are posted at once, not at the next sweep. */
  onRecord: () => void;
  log: Logger;
}

function watchDir(dir: string, onChange: () => void, log: Logger): fs.FSWatcher | undefined {
  try {
    const w = fs.watch(dir, { persistent: false }, () => onChange());
    w.on('error', (e) => log.warn({ event: 'WatchFailed', code: 'CDC_WATCH_FAILED', dir, err: describeError(e) }, 'directory watch stopped'));
    return w;
  } catch (e) {
    log.warn({ event: 'WatchFailed', code: 'CDC_WATCH_FAILED', dir, err: describeError(e) }, 'directory watch not started');
    return undefined;
  }
}

/** Starts the triggers; returns a stop function. */
export function startTriggers(o: TriggerOptions): () => void {
  const stops: (() => void)[] = [];
  if (o.useInotify) {
    // Renames into the directory (the composer's .part -> .zip) fire here; debounce bursts of events.
    let pending: NodeJS.Timeout | undefined;
    const w = watchDir(o.coreDir, () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        o.sweep('inotify');
      }, 100);
    }, o.log);
    if (w) stops.push(() => {
      w.close();
      if (pending) clearTimeout(pending);
    });
  }
  const rw = watchDir(o.eventDir, () => o.onRecord(), o.log);
  if (rw) stops.push(() => rw.close());
  if (o.intervalMs > 0) {
    const t = setInterval(() => o.sweep('interval'), o.intervalMs);
    stops.push(() => clearInterval(t));
  }
  if (o.schedule !== '') {
    try {
      const job = new Cron(o.schedule, { protect: true }, () => o.sweep('schedule'));
      stops.push(() => job.stop());
    } catch (e) {
      o.log.error({ event: 'ScheduleInvalid', code: 'CDC_CONFIG_INVALID', schedule: o.schedule, err: describeError(e) }, 'SCHEDULE ignored');
    }
  }
  o.log.info({ event: 'TriggersStarted', inotify: o.useInotify, intervalMs: o.intervalMs, schedule: o.schedule }, 'sweep triggers started');
  return () => stops.forEach((s) => s());
}
