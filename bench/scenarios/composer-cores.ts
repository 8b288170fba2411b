// Scaling (issue 12): direct deflate-1 pinned to 1 core and to 2 cores with taskset. The composer
// reads its affinity (os.availableParallelism()), so the pinned run also sizes threads and pool to 1.
import { composerScenario } from '../lib/composer.ts';

const env = { COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1' };
export const cdcDeflateOneCore = composerScenario('cdc-deflate-1-1core', 'composer direct deflate-1, taskset 1 core', env, 'direct', { prefix: 'taskset -c 0' });
export const cdcDeflateTwoCores = composerScenario('cdc-deflate-1-2cores', 'composer direct deflate-1, taskset 2 cores', env, 'direct', { prefix: 'taskset -c 0,1' });
