// Composer, direct into Azure Blob Storage (Azurite), deflate level 1, the default codec.
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-azure-deflate-1', 'composer direct deflate-1 (Azurite)', { COMP_CODEC: 'deflate', COMP_COMPRESSION_LEVEL: '1' }, 'direct', { store: 'azure' });
