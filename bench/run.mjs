// `npm run bench` entry: the harness is TypeScript (run natively by Node's type stripping), so
// this only hands over to bench/runner.ts with the same Node, arguments and exit code.
import { spawnSync } from 'node:child_process';

const runner = new URL('./runner.ts', import.meta.url).pathname;
const r = spawnSync(process.execPath, [runner, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
