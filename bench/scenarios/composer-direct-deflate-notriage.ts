// As cdc-deflate-1 with triage off (COMP_TRIAGE=false): the throughput cost of reading the core for
// crash.json is the difference between the two rows (issue 13: none measurable at 1 GiB).
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-deflate-1-notriage', 'composer direct deflate-1, triage off', { COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1', COMP_TRIAGE: 'false' }, 'direct');
