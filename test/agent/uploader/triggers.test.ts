// Sweep triggers: INTERVAL, SCHEDULE (cron with seconds, like the seed's scheduler) and inotify,
// together; a bad SCHEDULE is reported and the other triggers still run.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startTriggers } from '../../../src/agent/uploader/triggers.ts';
import { memoryLogger } from '../../helpers/memory-logger.ts';
import { scratchHost } from '../../helpers/scratch-host.ts';
import { waitFor } from '../../helpers/wait-for.ts';

t.test('interval, cron schedule and inotify all trigger sweeps, in any combination', async (t) => {
  const h = scratchHost();
  fs.mkdirSync(h.coreDir, { recursive: true });
  fs.mkdirSync(h.eventDir, { recursive: true });
  const seen: string[] = [];
  let records = 0;
  const stop = startTriggers({
    coreDir: h.coreDir, eventDir: h.eventDir, useInotify: true, intervalMs: 100, schedule: '* * * * * *',
    sweep: (trigger) => seen.push(trigger), onRecord: () => records++, log: memoryLogger().log,
  });
  t.teardown(() => { stop(); h.cleanup(); });
  fs.writeFileSync(path.join(h.coreDir, 'a.zip.part'), 'x');
  fs.renameSync(path.join(h.coreDir, 'a.zip.part'), path.join(h.coreDir, 'a.zip'));
  fs.writeFileSync(path.join(h.eventDir, 'a.cdc.json'), '{}');
  await waitFor('all triggers', () => ['interval', 'schedule', 'inotify'].every((x) => seen.includes(x)) && records > 0, 5_000);
  const n = seen.length;
  stop();
  await new Promise((r) => setTimeout(r, 1_100));
  t.equal(seen.length, n, 'stop() stops every trigger');
});

t.test('a bad SCHEDULE is logged with its key; the interval still runs', async (t) => {
  const h = scratchHost();
  const mem = memoryLogger();
  const seen: string[] = [];
  const stop = startTriggers({
    coreDir: h.coreDir, eventDir: h.eventDir, useInotify: false, intervalMs: 50, schedule: 'not a cron',
    sweep: (trigger) => seen.push(trigger), onRecord: () => undefined, log: mem.log,
  });
  t.teardown(() => { stop(); h.cleanup(); });
  await waitFor('interval', () => seen.includes('interval'), 5_000);
  t.ok(mem.lines.some((l) => l.event === 'ScheduleInvalid' && l.code === 'CDC_CONFIG_INVALID'));
});
