// The hold curve (issue 12): direct deflate-1 with a release buffer (COMP_RELEASE_BUFFER_MIB) of
// 64 and 256 MiB, each with COMP_MEMORY_MIB raised by as much, so the rest of the budget is the
// default's. heldMs against cdc-deflate-1 (no buffer) is what the default is to be chosen from.
import { composerScenario } from '../lib/composer.ts';

const env = (mib: number) => ({ COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1', COMP_RELEASE_BUFFER_MIB: String(mib), COMP_MEMORY_MIB: String(64 + mib) });
export const cdcRelease64 = composerScenario('cdc-deflate-1-release64', 'composer direct deflate-1, release buffer 64 MiB', env(64), 'direct');
export const cdcRelease256 = composerScenario('cdc-deflate-1-release256', 'composer direct deflate-1, release buffer 256 MiB', env(256), 'direct');
