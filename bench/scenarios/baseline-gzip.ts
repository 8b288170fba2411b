// Single-threaded deflate at level 1, output counted and dropped.
import { localPipe } from '../lib/pipe-scenario.ts';

export default localPipe('gzip-1', 'gzip -1', 'baseline', 'gzip -1');
