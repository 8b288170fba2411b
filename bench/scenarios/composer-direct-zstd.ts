// Composer, direct mode, zstd level 1 (a stored zip entry holding zstd frames).
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-zstd-1', 'composer direct zstd-1', { COMP_CODEC: 'zstd', COMP_COMPRESSION_LEVEL: '1' }, 'direct');
