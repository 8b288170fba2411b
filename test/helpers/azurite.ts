// The tests' Azure Blob Storage: Azurite, Microsoft's emulator (npm `azurite`), one child process
// per test file on a free loopback port, in memory. Each test makes its own container.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createRequire } from 'node:module';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { ObjectStore } from '../../src/shared/object-store.ts';
import { azureObjects } from '../../src/shared/azure-objects.ts';
import { NODE } from './composer-install.ts';
import { waitFor } from './wait-for.ts';

// Azurite's well-known development account (published in its README; not a secret).
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  readonly port: number;
  /** http://127.0.0.1:{port}/devstoreaccount1 (path-style, as emulators are addressed). */
  readonly blobEndpoint: string;
  connectionString(endpoint?: string): string;
  /** A fresh container (named `exactName`, else from `prefix`), deleted by its destroy(). */
  container(prefix?: string, exactName?: string): Promise<TestContainer>;
  stop(): Promise<void>;
}

export interface TestContainer {
  readonly name: string;
  readonly client: ContainerClient;
  /** The container through the product's object interface. */
  readonly objects: ObjectStore;
  /** Composer / agent environment for this container (shared key, or `endpoint` through a proxy). */
  env(endpoint?: string): Record<string, string>;
  /** Every blob but the dump summaries cdh lists (cdh-index/, see src/shared/spool/names.ts). */
  blobs(): Promise<string[]>;
  allBlobs(): Promise<string[]>;
  get(blob: string): Promise<Buffer>;
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface AzuriteOptions {
  /** A port to listen on (a restart keeps its clients' endpoint); default a free one. */
  port?: number;
  /** The in-memory store's limit. Azurite frees a deleted blob's extents only in a later sweep,
   * so data written since start counts against it. */
  extentMemoryMiB?: number;
}

/** Starts Azurite's blob service; call stop() in a teardown. */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<Azurite> {
  const port = opts.port ?? await freePort();
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  const child: ChildProcess = spawn(NODE, [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--extentMemoryLimit', String(opts.extentMemoryMiB ?? 2048), '--skipApiVersionCheck', '--disableTelemetry', '--silent', '--loose'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`Azurite listening on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`Azurite exited: ${out}`);
    return /successfully listen/.test(out);
  }, 30_000).catch((e: unknown) => {
    child.kill('SIGKILL'); // never left running when it did not come up
    throw e;
  });
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = (endpoint = blobEndpoint) =>
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
  const service = BlobServiceClient.fromConnectionString(connectionString());
  return {
    port, blobEndpoint, connectionString,
    async container(prefix = 'cdc', exactName?: string) {
      const name = exactName ?? `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
      const client = service.getContainerClient(name);
      await client.create();
      const allBlobs = async () => {
        const names: string[] = [];
        for await (const b of client.listBlobsFlat()) names.push(b.name);
        return names.sort();
      };
      return {
        name, client, objects: azureObjects(async () => client, name), allBlobs,
        env: (endpoint = blobEndpoint) => ({
          AZURE_STORAGE_CONTAINER: name, AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY, AZURE_STORAGE_BLOB_ENDPOINT: endpoint,
        }),
        blobs: async () => (await allBlobs()).filter((b) => !b.includes('cdh-index/')),
        get: (blob) => client.getBlockBlobClient(blob).downloadToBuffer(),
        async destroy() { await client.delete().catch(() => undefined); },
      };
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
