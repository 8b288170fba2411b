// The best deflate peer: parallel gzip streamed into S3.
import { rclonePipe } from '../lib/pipe-scenario.ts';

export default rclonePipe('pigz|rclone', 'pigz -1 -p2 | rclone rcat', 'pigz -1 -p2');
