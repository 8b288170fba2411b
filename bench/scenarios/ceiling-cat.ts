// The ceiling: the core read and pushed through one pipe, nothing else.
import { localPipe } from '../lib/pipe-scenario.ts';

export default localPipe('cat', 'cat | (pipe) — ceiling', 'ceiling', undefined);
