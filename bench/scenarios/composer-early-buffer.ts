// Hold against buffer size (issue 12): direct deflate-1 with COMP_EARLY_BUFFER_MIB at 64 and 256
// (default 16). The early buffer holds zip bytes while the upload is being opened; its effect on
// how long the crashed process is held is the heldMs column against cdc-deflate-1.
import { composerScenario } from '../lib/composer.ts';

const env = (mib: number) => ({ COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1', COMP_EARLY_BUFFER_MIB: String(mib) });
const tuned = (mib: number) => ({ tunedMemory: `COMP_EARLY_BUFFER_MIB=${mib} (zip bytes held in memory)` });
export const cdcEarly64 = composerScenario('cdc-deflate-1-early64', 'composer direct deflate-1, early buffer 64 MiB', env(64), 'direct', tuned(64));
export const cdcEarly256 = composerScenario('cdc-deflate-1-early256', 'composer direct deflate-1, early buffer 256 MiB', env(256), 'direct', tuned(256));
