// The peer pipeline most collectors amount to: gzip, then stream the result into S3.
import { rclonePipe } from '../lib/pipe-scenario.ts';

export default rclonePipe('gzip|rclone', 'gzip -1 | rclone rcat', 'gzip -1');
