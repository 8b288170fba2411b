// The bench report's verdicts (bench/lib/report.ts): a speed target holds only where it holds at
// every core from 1 GiB up, and rows that change a memory setting on purpose are not judged for RSS.
import t from 'tap';
import { renderReport, type ReportInput } from '../../bench/lib/report.ts';
import type { Cell } from '../../bench/lib/stats.ts';
import type { Scenario } from '../../bench/lib/types.ts';

const MiB = 2 ** 20;
const scenario = (id: string, o: Partial<Scenario> = {}): Scenario =>
  ({ id, title: id, group: id.startsWith('cdc-') ? 'composer' : 'peer', usesS3: true, run: async () => { throw new Error('not run'); }, ...o });

/** A cell whose one run moved the core at `mbps` MB/s with the composer at `rssMiB`. */
function cell(sc: Scenario, sizeMiB: number, mbps: number, rssMiB = 100): Cell {
  const coreBytes = sizeMiB * MiB;
  return {
    sizeMiB, coreClass: 'mixed', coreBytes, scenario: sc,
    samples: [{ wallS: coreBytes / 1e6 / mbps, cpuS: 1, maxRssKiB: rssMiB * 1024, composerRssKiB: rssMiB * 1024, writeBytes: 0, exit: 0, outBytes: coreBytes / 2 }],
  };
}

function verdicts(cells: Cell[]): string[] {
  const input: ReportInput = {
    cells, holds: [], curve: [], bursts: [], profiles: [], machine: [], notes: [], startedAt: new Date(0), minutes: 1,
    loadStart: '0', loadEnd: '0', s3: 'test', command: 'test',
  };
  return renderReport(input).verdicts;
}

const store = scenario('cdc-store');
const rclone = scenario('rclone');
const early = scenario('cdc-deflate-1-early256', { tunedMemory: 'COMP_EARLY_BUFFER_MIB=256' });
const line = (vs: string[], what: RegExp) => vs.find((v) => what.test(v)) ?? '';

t.test('a speed target is met only if it holds at every size from 1 GiB up', async (t) => {
  const met = verdicts([cell(store, 1024, 300), cell(rclone, 1024, 150), cell(store, 16384, 240), cell(rclone, 16384, 150)]);
  t.match(line(met, /store >= 1.5x/), /^- MET/);
  t.match(line(met, /store >= 1.5x/), /2\.00x at 1 GiB.*1\.60x at 16 GiB/);
  const missed = verdicts([cell(store, 1024, 300), cell(rclone, 1024, 150), cell(store, 16384, 200), cell(rclone, 16384, 150)]);
  t.match(line(missed, /store >= 1.5x/), /^- MISSED/, 'missed at 16 GiB though met at 1 GiB');
  const small = verdicts([cell(store, 64, 100), cell(rclone, 64, 150), cell(store, 1024, 300), cell(rclone, 1024, 150)]);
  t.match(line(small, /store >= 1.5x/), /^- MET.*not judged: 0\.67x at 64 MiB/, 'a 64 MiB core is shown, not judged');
  t.match(line(verdicts([cell(store, 64, 300), cell(rclone, 64, 150)]), /store >= 1.5x/), /^- NOT MEASURED/);
});

t.test('peak RSS is judged on rows at default memory settings; tuned rows are named, not judged', async (t) => {
  const vs = verdicts([cell(store, 1024, 300, 120), cell(rclone, 1024, 150), cell(early, 1024, 200, 350)]);
  t.match(line(vs, /peak RSS/), /^- MET — .*worst 120 MiB.*COMP_EARLY_BUFFER_MIB=256: up to 350 MiB/);
  t.match(line(verdicts([cell(store, 1024, 300, 129), cell(rclone, 1024, 150)]), /peak RSS/), /^- MISSED/);
});
