// cdh: coredumpctl for a bucket (S3) or a container (Azure Blob). Thin: the command line, the
// store, one command, and every failure a user meets as one line `cdh: CODE: what happened` with a
// non-zero exit code (2 for usage).
import { ErrorCodes, describeError } from '../shared/errors.ts';
import { TOOL_VERSION } from '../composer/dump-info.ts';
import { HELP, parseCommandLine, type Command } from './args.ts';
import type { Context } from './context.ts';
import { terminalWidth } from './format.ts';
import { openStore, type Store } from './store.ts';
import { storeProblem } from './store-errors.ts';
import { list } from './commands/list.ts';
import { show } from './commands/show.ts';
import { get } from './commands/get.ts';
import { gdb } from './commands/gdb.ts';
import { groups } from './commands/groups.ts';
import { prune } from './commands/prune.ts';

const RUN: Record<Command, (ctx: Context) => Promise<number>> = { list, show, get, gdb, groups, prune };

async function main(argv: string[]): Promise<number> {
  const out = (s: string) => { process.stdout.write(s); };
  const err = (s: string) => { process.stderr.write(s); };
  let opening: Promise<Store> | undefined;
  let store: Store | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') { out(HELP); return 0; }
    if (parsed.kind === 'version') { out(`cdh ${TOOL_VERSION}\n`); return 0; }
    const ctx: Context = {
      inv: parsed.inv,
      store: () => (opening ??= openStore(parsed.inv.values, process.env, (w) => err(`cdh: warning ${w}\n`)).then((s) => (store = s))),
      out, err,
      interactive: Boolean(process.stderr.isTTY),
      width: () => terminalWidth(),
      now: () => Date.now(),
    };
    return await RUN[parsed.inv.command](ctx);
  } catch (e) {
    const known = storeProblem(e, store?.objects);
    if (known) {
      err(`cdh: ${known.detail ?? ''}${known.detail ? '. ' : ''}${ErrorCodes[known.code]} (${known.code})\n`);
      return known.code === 'CDC_CLI_USAGE' ? 2 : 1;
    }
    err(`cdh: CDC_INTERNAL: ${describeError(e)}\n`);
    return 1;
  } finally {
    store?.objects.close();
  }
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); }); // `cdh list | head`
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
