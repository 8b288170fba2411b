// Upload only, into the same Azurite: `rclone rcat` with its azureblob backend, uncompressed.
import { rcloneAzurePipe } from '../lib/pipe-scenario.ts';

export default rcloneAzurePipe('rclone-azure', 'rclone rcat (Azurite, uncompressed)');
