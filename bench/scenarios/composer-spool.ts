// Composer, spool mode (COMP_DIRECT_UPLOAD=false): deflate-1 zip written to CORE_DIR on disk.
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-spool-deflate-1', 'composer spool deflate-1 (disk)', { COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1' }, 'spool');
