// The command line of cdh: one parser for every command (node:util parseArgs), the help text, and
// which options each command accepts, so a misspelt or misplaced option is one clear error.
import { parseArgs } from 'node:util';
import { CdcError } from '../shared/errors.ts';

export const COMMANDS = ['list', 'show', 'get', 'gdb', 'groups', 'prune'] as const;
export type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  // settings (every command)
  bucket: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' }, prefix: { type: 'string' },
  'from-cluster': { type: 'boolean' }, 'cluster-namespace': { type: 'string', short: 'n' }, daemonset: { type: 'string' },
  context: { type: 'string' },
  // filters (list, groups, prune)
  namespace: { type: 'string' }, pod: { type: 'string' }, container: { type: 'string' }, image: { type: 'string' },
  node: { type: 'string' }, signal: { type: 'string' }, fingerprint: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
  // output and command options
  json: { type: 'boolean' }, output: { type: 'string', short: 'o' }, exe: { type: 'string' }, 'keep-zip': { type: 'boolean' },
  'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;
const SETTINGS: OptionName[] = ['bucket', 'endpoint', 'region', 'prefix', 'from-cluster', 'cluster-namespace', 'daemonset', 'context', 'help'];
const FILTERS: OptionName[] = ['namespace', 'pod', 'container', 'image', 'node', 'signal', 'fingerprint', 'since', 'until'];
const ACCEPTS: Record<Command, OptionName[]> = {
  list: [...FILTERS, 'json'],
  groups: [...FILTERS, 'json'],
  show: ['json'],
  get: ['output', 'keep-zip', 'quiet'],
  gdb: ['output', 'exe', 'quiet'],
  prune: [...FILTERS, 'older-than', 'dry-run', 'json'],
};
const POSITIONALS: Record<Command, number> = { list: 0, groups: 0, show: 1, get: 1, gdb: 1, prune: 0 };

export const HELP = `cdh: find, group and open the core dumps of a bucket or Azure container (coredumpctl for core-dump-handler)

usage: cdh COMMAND [options]
  list                 dumps, newest first (a table sized to the terminal; --json for scripts)
  show ID              dump-info, the crash summary and the last log lines of one dump
  get ID [-o DIR]      download (progress on stderr), check every entry's CRC-32, extract into DIR
  gdb ID [--exe PATH] [-- GDB-ARGS]   get, then start gdb on the core (and the executable)
  groups               dumps counted by fingerprint: first and last seen, pods, namespaces
  prune --older-than 30d [--dry-run]  delete old dumps (a bucket lifecycle rule is better where the store has one)

ID: a dump's uuid, any unique prefix of it, or its object key.
filters (list, groups, prune): --namespace --pod --container --image --node (exact, or a glob with *)
  --signal (11, SEGV or SIGSEGV) --fingerprint --since --until (ISO time, or an age: 90s, 30m, 2h, 7d)
settings, as the agent's environment: S3_BUCKET_NAME, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY and
  S3_SECRET (else the AWS default credential chain), S3_KEY_PREFIX; or Azure Blob when
  AZURE_STORAGE_CONTAINER is set: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with
  AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_BLOB_ENDPOINT; overridden by
  --bucket (Azure: the container) --endpoint --region --prefix, or read from the cluster:
  --from-cluster [-n NAMESPACE] [--daemonset core-dump-handler] [--context CTX] (the chart's
  DaemonSet and Secret, through kubectl)
`;

export interface Invocation {
  readonly command: Command;
  readonly id: string | undefined;
  readonly values: Partial<Record<OptionName, string | boolean>>;
  /** After `--`: passed to gdb. */
  readonly passThrough: string[];
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; inv: Invocation };

export function parseCommandLine(argv: string[]): Parsed {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const passThrough = dash < 0 ? [] : argv.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CdcError('CDC_CLI_USAGE', (e as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.version) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') return { kind: 'help' };
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CdcError('CDC_CLI_USAGE', `unknown command "${command}"`);
  const cmd = command as Command;
  for (const name of Object.keys(values) as OptionName[]) {
    if (!SETTINGS.includes(name) && !ACCEPTS[cmd].includes(name)) throw new CdcError('CDC_CLI_USAGE', `${cmd} takes no --${name}`);
  }
  if (rest.length !== POSITIONALS[cmd]) {
    throw new CdcError('CDC_CLI_USAGE', POSITIONALS[cmd] ? `${cmd} needs one ID` : `${cmd} takes no argument "${rest[0]}"`);
  }
  if (passThrough.length > 0 && cmd !== 'gdb') throw new CdcError('CDC_CLI_USAGE', `only gdb takes arguments after --`);
  return { kind: 'run', inv: { command: cmd, id: rest[0], values, passThrough } };
}
