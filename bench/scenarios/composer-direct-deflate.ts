// Composer, direct mode, deflate level 1 (the default codec): parallel deflate + upload.
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-deflate-1', 'composer direct deflate-1', { COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1' }, 'direct');
