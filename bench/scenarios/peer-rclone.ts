// Upload only: the core streamed into S3 uncompressed, what `store` competes with.
import { rclonePipe } from '../lib/pipe-scenario.ts';

export default rclonePipe('rclone', 'rclone rcat (uncompressed)', undefined);
