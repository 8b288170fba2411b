// zstd level 1, single-threaded (the CLI's default).
import { localPipe } from '../lib/pipe-scenario.ts';

export default localPipe('zstd-1', 'zstd -1', 'baseline', 'zstd -1 -c');
