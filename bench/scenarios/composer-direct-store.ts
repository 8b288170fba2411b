// Composer, direct mode, no compression: zip framing + CRC-32 + multipart upload.
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-store', 'composer direct store', { COMP_CODEC: 'store' }, 'direct');
