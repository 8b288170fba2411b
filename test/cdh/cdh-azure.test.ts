// cdh over Azure Blob Storage, with real parts: Azurite (Microsoft's emulator) is the store, the
// built cdh reads it. The catalog checks every store passes, then show / get / gdb over a real zip
// (its core made by gcore from a live process), a dump still being uploaded (staged blocks only),
// prune, the coded errors (never a secret printed), --from-cluster, and dumps the built composer
// and agent stored themselves (direct, spooled, cut mid-stream), found with their summaries.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import {
  AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, generateAccountSASQueryParameters, StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../helpers/azurite.ts';
import { expectCdhError, jsonLines, runCdh } from '../helpers/cdh.ts';
import { catalogChecks, storeVaried } from '../helpers/cdh-catalog-checks.ts';
import { dumpZip, storeDump, synthetic } from '../helpers/summaries.ts';
import { stubKubectl } from '../helpers/kubectl-stub.ts';
import { render, type K8sObject } from '../chart/render.ts';
import { installComposer, type InstalledComposer } from '../helpers/composer-install.ts';
import { mixedData, runComposer } from '../helpers/run-composer.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { AGENT_BUNDLE, startAgent } from '../helpers/agent-process.ts';
import { scratchHost } from '../helpers/scratch-host.ts';
import { spoolListing } from '../helpers/spool-listing.ts';
import { blockId } from '../../src/shared/azure-blob.ts';
import { summaryPrefix } from '../../src/shared/spool/names.ts';

const azurite = await startAzurite();
t.teardown(() => azurite.stop());

const tmp = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** A real ELF core of a live `sleep`, by gdb's gcore (ptrace; core_pattern is not involved). */
function gcoreOfSleep(): Buffer | undefined {
  const dir = tmp('cdh-gcore-');
  const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
  try {
    execFileSync('gcore', ['-o', path.join(dir, 'core'), String(sleeper.pid)], { stdio: 'ignore', timeout: 60_000 });
    return fs.readFileSync(path.join(dir, `core.${sleeper.pid}`));
  } catch {
    return undefined;
  } finally {
    sleeper.kill('SIGKILL');
  }
}

t.test('the catalog checks every store passes', async (t) => {
  const box = await azurite.container('cdh-cat');
  t.teardown(() => box.destroy());
  await storeVaried(box.objects);
  catalogChecks(t, box.env(), () => box.allBlobs());
});

// One container for the rest: a real dump, a damaged one, synthetic ones to prune, one uploading.
const box = await azurite.container('cdh');
t.teardown(() => box.destroy());
const env = box.env();
const realCore = gcoreOfSleep();
const core = realCore ?? Buffer.from('not a real core: gcore could not attach here');
const LOG = Array.from({ length: 15 }, (_, i) => `log line ${i + 1}`);
const real = synthetic(20, { exe: 'sleep', fingerprint: 'c0ffee', namespace: 'tools', pod: 'sleeper-0', container: 'sleeper', coreBytes: core.length });
const zip = await dumpZip(real, core, LOG);
await storeDump(box.objects, real, zip);
const damaged = synthetic(21, { namespace: 'tools', pod: 'broken-0' });
const bad = Buffer.from(await dumpZip(damaged, core, LOG));
const mid = Math.floor(bad.length / 2);
bad[mid] = bad[mid]! ^ 0xff; // inside the core's data: only its CRC-32 (or inflate) can tell
await storeDump(box.objects, damaged, bad);

t.test('show: summary, dump-info, triage and the log tail, read by ranged reads from the blob', async (t) => {
  const r = await runCdh(['show', real.uuid.slice(0, 8)], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`key: azure://${box.name}/${real.name}\\.zip`));
  t.match(r.stdout, /exe: \/usr\/bin\/sleep/);
  t.match(r.stdout, /pod: sleeper-0/);
  t.match(r.stdout, /fingerprint: c0ffee/);
  t.match(r.stdout, /crash:\n  summary: sleep crashed/);
  t.match(r.stdout, /log .*-0\.log \(last 10 lines\):\n  log line 6\n[\s\S]*  log line 15\n/);
  const j = JSON.parse((await runCdh(['show', `${real.name}.zip`, '--json'], env)).stdout);
  t.equal(j.dumpInfo.real_pid, 4242, 'show --json by blob name');
  t.same(j.entries.map((e: { name: string }) => e.name.slice(real.name.length)), ['.core', '-dump-info.json', '-crash.json', '-0.log']);
});

t.test('get: every entry CRC-checked and extracted, the core byte for byte; a damaged blob is refused', async (t) => {
  const dir = tmp('cdh-get-');
  const r = await runCdh(['get', real.uuid, '-o', dir], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /4 entries checked \(CRC-32\) and extracted/);
  t.ok(fs.readFileSync(path.join(dir, `${real.name}.core`)).equals(core), 'the core as it was stored');
  t.notOk(fs.existsSync(path.join(dir, `${real.name}.zip`)), 'the zip is removed');
  const broken = await runCdh(['get', damaged.uuid, '-o', tmp('cdh-bad-')], env);
  t.equal(broken.status, 1);
  t.match(broken.stderr, /\(CDC_ZIP_INVALID\)\n$/);
});

t.test('gdb: gets the dump, then gdb reads its core', { skip: realCore ? false : 'gcore could not attach to a process here' }, async (t) => {
  const sleepExe = execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim();
  const r = await runCdh(['gdb', real.uuid, '--exe', sleepExe, '-o', tmp('cdh-gdb-'), '-q', '--', '-batch', '-nx', '-ex', 'info inferiors', '-ex', 'bt'], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /\* 1 +process \d+/, 'gdb loaded the core as a process');
  t.match(r.stdout, /^#0 /m, 'and walked its stack');
});

t.test('a dump still being uploaded (its blob has staged blocks only) lists as uploading', async (t) => {
  const name = 'bbbbbbbb-0000-4000-8000-000000000000-dump-1700000100-n-app-1-11';
  await box.client.getBlockBlobClient(`${name}.zip`).stageBlock(blockId('abc123', 1), Buffer.alloc(1024, 1), 1024);
  const row = jsonLines(await runCdh(['list', '--json'], env)).find((d) => d.name === name);
  t.match(row, { id: 'bbbbbbbb-0000-4000-8000-000000000000', state: 'uploading', zipBytes: null }, 'Azurite lists uncommitted blobs');
  t.ok(Date.parse(row?.time) > Date.now() - 3600_000, 'timed by its staged blocks');
  const show = await runCdh(['show', 'bbbbbbbb'], env);
  t.equal(show.status, 1);
  t.match(show.stderr, /still being uploaded.*\(CDC_CLI_UPLOADING\)/);
});

t.test('prune: deletes old zips with their summaries, and names the storage account lifecycle policy', async (t) => {
  const old = [synthetic(30, { namespace: 'gone' }), synthetic(31, { namespace: 'gone' })];
  for (const s of old) await storeDump(box.objects, s, Buffer.from('placeholder'));
  const before = await box.allBlobs();
  const dry = await runCdh(['prune', '--older-than', '30d', '--namespace', 'gone', '--dry-run'], env);
  t.equal(dry.status, 0, dry.stderr);
  t.equal(dry.stdout.split('\n').filter((l) => l.startsWith('would delete')).length, 2);
  t.same(await box.allBlobs(), before, 'a dry run deletes nothing');
  const r = await runCdh(['prune', '--older-than', '30d', '--namespace', 'gone'], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /2 dumps older than 30d deleted/);
  t.match(r.stderr, /lifecycle management policy on the storage account/);
  const policy = JSON.parse(/--policy '(.*)'/.exec(r.stderr)![1]!);
  t.match(policy.rules[0].definition, { filters: { prefixMatch: [`${box.name}/`] }, actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } } } });
  const after = await box.allBlobs();
  t.equal(before.length - after.length, 4, 'two zips, two summaries');
  t.notOk(after.some((b) => old.some((s) => b.includes(s.uuid) || b.startsWith(s.name))), 'none of theirs is left');
  t.ok(after.includes(`${real.name}.zip`), 'the others are kept');
});

t.test('errors: one line with its code, and never a secret', async (t) => {
  const sas = generateAccountSASQueryParameters({
    services: AccountSASServices.parse('b').toString(), resourceTypes: AccountSASResourceTypes.parse('co').toString(),
    permissions: AccountSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000),
  }, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString();
  const sig = new URLSearchParams(sas).get('sig')!;
  const { AZURE_STORAGE_KEY: _key, ...noKey } = env;
  const sasEnv = { ...noKey, AZURE_STORAGE_SAS_TOKEN: sas };
  const seen: string[] = [];
  const expect = async (args: string[], e: Record<string, string>, code: string, detail: RegExp) => {
    const r = await expectCdhError(t, args, e, code, detail);
    seen.push(r.stdout, r.stderr);
  };
  await expect(['list'], { ...env, AZURE_STORAGE_CONTAINER: 'no-such-container' }, 'CDC_CLI_NO_BUCKET', /Azure container "no-such-container" does not exist/);
  await expect(['list'], { ...env, AZURE_STORAGE_KEY: Buffer.alloc(64, 7).toString('base64') }, 'CDC_CLI_ACCESS_DENIED', /Azure refused access/);
  await expect(['list'], { ...env, AZURE_STORAGE_BLOB_ENDPOINT: `http://127.0.0.1:9/${AZURITE_ACCOUNT}` }, 'CDC_CLI_S3_UNREACHABLE', /did not answer \(ECONNREFUSED\)/);
  await expect(['list'], noKey, 'CDC_CLI_NO_CREDENTIALS', /no Azure credentials/);
  await expect(['list'], { AZURE_STORAGE_CONTAINER: box.name, AZURE_STORAGE_CONNECTION_STRING: `AccountKey=${AZURITE_KEY};nonsense` }, 'CDC_CLI_NO_CREDENTIALS', /AZURE_STORAGE_CONNECTION_STRING could not be parsed/);
  const listed = await runCdh(['list', '--json'], sasEnv);
  t.equal(listed.status, 0, `a read and list SAS lists: ${listed.stderr}`);
  t.ok(jsonLines(listed).some((d) => d.name === real.name));
  await expect(['prune', '--older-than', '1d'], sasEnv, 'CDC_CLI_ACCESS_DENIED', /Azure refused access to container/);
  for (const text of seen) {
    t.notOk(text.includes(AZURITE_KEY) || text.includes(sig) || text.includes(encodeURIComponent(sig)), 'no key or SAS signature printed');
  }
});

t.test('--from-cluster reads the Azure settings the chart renders, through kubectl', async (t) => {
  // The chart's own DaemonSet and Secret (helm template, key credentials), served by a stand-in kubectl.
  const values = path.join(tmp('cdh-values-'), 'values.json');
  fs.writeFileSync(values, JSON.stringify({ daemonset: { azureContainer: box.name, azureKey: AZURITE_KEY, azureBlobEndpoint: azurite.blobEndpoint } }));
  const objects = render(['ci/azure-key-values.yaml', values]);
  const ds = objects.find((o) => o.kind === 'DaemonSet')!;
  const secret = objects.find((o) => o.kind === 'Secret')! as K8sObject & { stringData: Record<string, string> };
  const kubectl = stubKubectl(t, 'observe', ds, { [secret.metadata.name]: secret.stringData }, ds.metadata.name);
  const r = await runCdh(['list', '--json', '--from-cluster', '-n', 'observe', '--daemonset', ds.metadata.name], {}, { path: kubectl.path });
  t.equal(r.status, 0, r.stderr);
  t.ok(jsonLines(r).some((d) => d.name === real.name), 'the container the cluster names');
  t.same(kubectl.calls(), [`-n observe get daemonset ${ds.metadata.name} -o json`, `-n observe get secret ${secret.metadata.name} -o json`]);
  t.notOk(r.stderr.includes(AZURITE_KEY));
  const flag = await runCdh(['list', '--from-cluster', '-n', 'observe', '--daemonset', ds.metadata.name, '--bucket', 'other-container'], {}, { path: kubectl.path });
  t.match(flag.stderr, /Azure container "other-container" does not exist.*\(CDC_CLI_NO_BUCKET\)/, 'for Azure, --bucket names the container');
});

const ARGS = ['-c=18446744073709551615', '-e=myapp', '-p=1', '-s=11', '-t=1700000000', '-h=node-a', '-P=999999999'];
const composerCore = Buffer.concat([Buffer.alloc(2 << 20, 7), Buffer.from('the end of the core')]);

/** The one dump of the container, as cdh lists it (with its summary), shows and gets it. */
async function foundByCdh(t: Test, boxEnv: Record<string, string>, expected: Buffer) {
  const rows = jsonLines(await runCdh(['list', '--json'], boxEnv));
  t.equal(rows.length, 1);
  t.match(rows[0], { exe: 'myapp', node: os.hostname(), signal: 11, coreBytes: expected.length, state: 'stored' }, 'listed with its summary');
  const show = await runCdh(['show', rows[0]!.id], boxEnv);
  t.equal(show.status, 0, show.stderr);
  t.match(show.stdout, /signal: SIGSEGV \(11\)/);
  const dir = tmp('cdh-composed-');
  t.equal((await runCdh(['get', rows[0]!.id, '-o', dir, '-q'], boxEnv)).status, 0);
  t.ok(fs.readFileSync(path.join(dir, `${rows[0]!.name}.core`)).equals(expected), 'the core round-trips');
}

/** One agent sweep over the composer's spool, storing into `boxEnv`'s container. */
async function agentSweep(t: Test, c: InstalledComposer, boxEnv: Record<string, string>) {
  const h = scratchHost('cdh-azure-agent-');
  t.teardown(() => h.cleanup());
  const a = startAgent(['sweep'], h, { HOST_DIR: c.dir, CORE_DIR: c.coreDir, EVENT_DIR: c.eventDir, ...boxEnv }, AGENT_BUNDLE);
  t.equal(await a.exited, 0);
  return a.lines;
}

t.test('the composer stores a dump in Azure directly; cdh lists and shows it with its summary', async (t) => {
  const own = await azurite.container('cdh-comp');
  const c = installComposer({ ...own.env(), COMP_CODEC: 'deflate' });
  t.teardown(async () => { c.remove(); await own.destroy(); });
  t.equal((await runComposer(c.launcher, ARGS, composerCore)).code, 0);
  t.ok(c.log().some((l) => l.event === 'SummaryStored'), 'the composer stored the summary');
  t.equal((await own.allBlobs()).filter((b) => b.startsWith(summaryPrefix(''))).length, 1, 'one summary blob beside the zip');
  t.equal((await own.blobs()).length, 1, 'and the zip');
  await foundByCdh(t, own.env(), composerCore);
});

t.test('the agent uploads a spooled dump to Azure and stores its summary; cdh finds it', async (t) => {
  const own = await azurite.container('cdh-agent');
  const c = installComposer({ ...own.env(`http://127.0.0.1:9/${AZURITE_ACCOUNT}`) });
  t.teardown(async () => { c.remove(); await own.destroy(); });
  t.equal((await runComposer(c.launcher, ARGS, composerCore)).code, 0);
  t.equal(spoolListing(c.coreDir).filter((f) => f.endsWith('.zip')).length, 1, 'Azure down: spooled');
  t.ok((await agentSweep(t, c, own.env())).some((l) => l.event === 'SummaryStored'), 'the agent stored the summary');
  await foundByCdh(t, own.env(), composerCore);
});

t.test('Azure cut mid-stream: the agent commits the blob from the manifest and stores its summary; cdh finds it', async (t) => {
  const own = await azurite.container('cdh-cut');
  const proxy = await startTcpProxy(azurite.port);
  const c = installComposer({ ...own.env(`${proxy.endpoint}/${AZURITE_ACCOUNT}`), COMP_CODEC: 'store', COMP_PART_SIZE_MIB: '5', COMP_UPLOAD_CONCURRENCY: '1' });
  t.teardown(async () => { c.remove(); await proxy.close(); await own.destroy(); });
  const big: Buffer[] = [];
  for await (const chunk of mixedData(24 << 20)) big.push(Buffer.from(chunk));
  const bigCore = Buffer.concat(big);
  proxy.cutAfter(12 << 20);
  t.equal((await runComposer(c.launcher, ARGS, bigCore)).code, 0);
  t.ok(spoolListing(c.coreDir).some((f) => f.endsWith('.zip.upload.json')), 'a manifest: some blocks staged, the rest on disk');
  t.same(await own.allBlobs(), [], 'nothing committed, no summary yet');
  proxy.restore();
  const lines = await agentSweep(t, c, own.env());
  t.ok(lines.some((l) => l.event === 'PartialUploadCompleted') && lines.some((l) => l.event === 'SummaryStored'), 'committed, then summarised');
  await foundByCdh(t, own.env(), bigCore);
});
