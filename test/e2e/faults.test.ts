// The fault and hostile-input suite: the built composer and agent driven as the kernel and the
// DaemonSet drive them, against the real RGW, through a loopback proxy that resets, stalls and
// throttles. Each scenario gives a row; the table is printed at the end. No dump may be lost
// without a code, nothing may be left half written or land where it must not.
import t from 'tap';
import { buildCrasher } from '../helpers/crasher.ts';
import { renderFaultTable, type FaultRow } from '../helpers/fault-table.ts';
import { directBurst, fullDisk, noUuidTemplate, spoolCapBurst } from './faults/bursts.ts';
import {
  agentKilledMidCompletion, agentKilledMidUpload, s3CutDuring, s3DownBefore, s3GoneAfter, s3Stalled, timeoutAfterDrain, timeoutWhileReading,
} from './faults/store.ts';
import { generatedInputs, noGlobalPid, plantedFiles, secretsOnCommandLine, shortCore } from './faults/hostile.ts';
import type { Scenario } from './faults/harness.ts';

const SCENARIOS: Scenario[] = [
  directBurst, spoolCapBurst, fullDisk, noUuidTemplate,
  s3DownBefore, s3CutDuring, s3GoneAfter, s3Stalled, timeoutWhileReading, timeoutAfterDrain,
  agentKilledMidUpload, agentKilledMidCompletion,
  plantedFiles, noGlobalPid, secretsOnCommandLine, shortCore, generatedInputs,
];

const rows: FaultRow[] = [];
const program = buildCrasher();

for (const s of SCENARIOS) {
  t.test(s.name, async (t) => {
    const { row, checks } = await s.run(program);
    rows.push(row);
    for (const [ok, what] of checks) t.ok(ok, what);
    t.equal(row.lost, 0, 'no dump lost without a code');
    t.equal(row.leaked, 0, 'nothing half written, left behind or written outside its place');
    t.equal(row.storedWhole + row.refused + row.lost, row.expected, 'every expected dump accounted for');
  });
}

t.teardown(() => {
  console.log(`\n# fault suite\n${renderFaultTable(rows).split('\n').map((l) => `# ${l}`).join('\n')}\n`);
});
