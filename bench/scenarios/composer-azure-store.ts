// Composer, direct into Azure Blob Storage (Azurite), no compression: blocks staged, then committed.
import { composerScenario } from '../lib/composer.ts';

export default composerScenario('cdc-azure-store', 'composer direct store (Azurite)', { COMP_CODEC: 'store' }, 'direct', { store: 'azure' });
