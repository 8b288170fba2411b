// The Azure store's settings against Azurite: each credential kind AKS users have (connection
// string, account + key, account + SAS) streams a dump through the composer's sink into a block
// blob; missing credentials or both stores set are config problems, never a lost dump.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { BlobSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../../helpers/azurite.ts';
import { loadConfig, redact } from '../../../src/shared/config.ts';
import { openSink } from '../../../src/composer/sinks/index.ts';
import { azureCredentialKind } from '../../../src/shared/azure-blob.ts';
import { spoolListing } from '../../helpers/spool-listing.ts';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });
const azurite = await startAzurite();
t.teardown(() => azurite.stop());

function coreDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdc-az-sink-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function store(dir: string, env: Record<string, string>, data: Buffer) {
  const { config, warnings } = loadConfig({ CORE_DIR: dir, COMP_PART_SIZE_MIB: '5', SPOOL_MIN_FREE_BYTES: '0', ...env });
  const sink = await openSink({ config, name: 'dump', log });
  await pipeline(Readable.from([data.subarray(0, 3 * MiB), data.subarray(3 * MiB)]), sink.stream);
  return { result: await sink.done, config, warnings };
}

const kinds: Array<[string, (container: string) => Record<string, string>]> = [
  ['connection-string', (c) => ({ AZURE_STORAGE_CONTAINER: c, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString() })],
  ['shared-key', (c) => ({ AZURE_STORAGE_CONTAINER: c, AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY, AZURE_STORAGE_BLOB_ENDPOINT: azurite.blobEndpoint })],
  ['sas', (c) => ({
    AZURE_STORAGE_CONTAINER: c, AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_BLOB_ENDPOINT: azurite.blobEndpoint,
    // A container SAS as `az storage container generate-sas` gives it: create + write, no read.
    AZURE_STORAGE_SAS_TOKEN: `?${generateBlobSASQueryParameters({
      containerName: c, permissions: BlobSASPermissions.parse('cw'), expiresOn: new Date(Date.now() + 3600_000),
    }, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString()}`,
  })],
];

for (const [kind, env] of kinds) {
  t.test(`credentials by ${kind}: the dump streams into a block blob`, async (t) => {
    const box = await azurite.container(kind);
    t.teardown(() => box.destroy());
    const data = randomBytes(12 * MiB);
    const { result, config } = await store(coreDir(t), env(box.name), data);
    t.equal(azureCredentialKind(config.azure), kind);
    t.match(result, { kind: 's3', store: 'azure', bucket: box.name, key: 'dump.zip', bytes: data.length });
    t.ok((await box.get('dump.zip')).equals(data), 'the blob holds every byte');
  });
}

t.test('a SAS without read still refuses to replace a blob: the dump is spooled, not lost', async (t) => {
  const box = await azurite.container('exists');
  t.teardown(() => box.destroy());
  await box.client.getBlockBlobClient('dump.zip').upload('other', 5);
  const dir = coreDir(t);
  const { result } = await store(dir, kinds[1]![1](box.name), randomBytes(6 * MiB));
  t.match(result, { kind: 'spool', reason: /CDC_KEY_EXISTS/ });
  t.equal((await box.get('dump.zip')).toString(), 'other', 'the existing blob is untouched');
  t.same(spoolListing(dir), ['dump.zip']);
});

t.test('no credentials at all: spooled with CDC_AZURE_CONFIG', async (t) => {
  const dir = coreDir(t);
  const { result } = await store(dir, { AZURE_STORAGE_CONTAINER: 'cores', AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT }, randomBytes(MiB));
  t.match(result, { kind: 'spool', reason: /CDC_AZURE_CONFIG.*Workload Identity/ });
  t.same(spoolListing(dir), ['dump.zip']);
});

t.test('both stores set is a config problem; Azure is used, and secrets never show', (t) => {
  const { config, warnings } = loadConfig({
    S3_BUCKET_NAME: 'b', AZURE_STORAGE_CONTAINER: 'c', AZURE_STORAGE_ACCOUNT: 'a', AZURE_STORAGE_KEY: 'secret-key-value',
    AZURE_STORAGE_SAS_TOKEN: '?sv=x&sig=secret-sig',
  });
  t.equal(config.store, 'azure');
  t.match(warnings, [{ code: 'CDC_CONFIG_INVALID', detail: /S3_BUCKET_NAME and AZURE_STORAGE_CONTAINER are both set/ }]);
  t.equal(config.azure.sasToken, 'sv=x&sig=secret-sig', 'the leading ? is dropped');
  t.notMatch(JSON.stringify(redact(config)), /secret-key-value|secret-sig/, 'redact hides the key and the SAS');
  t.equal(loadConfig({ S3_BUCKET_NAME: 'b' }).config.store, 's3');
  t.end();
});
