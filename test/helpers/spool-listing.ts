// What a spool directory holds, as a test compares it: dump files only, sorted. The spool's own
// state (running composers' space reservations) is not a dump and not a leftover.
import fs from 'node:fs';
import { RESERVATIONS_DIR } from '../../src/shared/spool/names.ts';

export function spoolListing(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f !== RESERVATIONS_DIR).sort();
}
