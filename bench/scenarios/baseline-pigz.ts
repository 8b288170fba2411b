// Parallel deflate on both cores: what deflate can reach on this machine without upload.
import { localPipe } from '../lib/pipe-scenario.ts';

export default localPipe('pigz-1', 'pigz -1 -p2', 'baseline', 'pigz -1 -p2');
