// The bench's Azure Blob Storage: Azurite (as in the tests), started on first use, one container.
// Rows into it compare the composer with `rclone rcat` on the same emulator in the same run; the
// emulator is not Azure, so they say nothing about Azure's own speed.
import os from 'node:os';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite, type TestContainer } from '../../test/helpers/azurite.ts';

// Azurite keeps blobs in memory and frees a deleted blob's space only in a later sweep: a 1 GiB
// core's third row ran into its default 2 GiB limit. So every clear() starts a fresh Azurite on
// the same port and container (the composer's installed .env names both), with room for one zip.
const EXTENT_MEMORY_MIB = Math.floor(os.totalmem() / 2 / 2 ** 20);

export interface BenchAzure {
  readonly container: string;
  /** Composer environment (account + key, the emulator's endpoint). */
  env(): Record<string, string>;
  /** rclone's azureblob remote "azbench:" by environment. */
  rcloneEnv(): Record<string, string>;
  objects(): Promise<{ key: string; size: number }[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchAzure(log: (s: string) => void): Promise<BenchAzure> {
  let azurite: Azurite = await startAzurite({ extentMemoryMiB: EXTENT_MEMORY_MIB });
  let box: TestContainer = await azurite.container('bench');
  const name = box.name;
  log(`Azurite at ${azurite.blobEndpoint}, container ${name} (restarted after every run)`);
  // rclone 1.60's emulator mode knows only port 10000; a container SAS URL names any endpoint.
  const sas = generateBlobSASQueryParameters({
    containerName: name, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 7 * 86400_000),
  }, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString();
  return {
    container: name,
    env: () => box.env(),
    rcloneEnv: () => ({ RCLONE_CONFIG_AZBENCH_TYPE: 'azureblob', RCLONE_CONFIG_AZBENCH_SAS_URL: `${azurite.blobEndpoint}/${name}?${sas}` }),
    async objects() {
      const out: { key: string; size: number }[] = [];
      for await (const b of box.client.listBlobsFlat()) out.push({ key: b.name, size: b.properties.contentLength ?? 0 });
      return out;
    },
    async clear() {
      const port = azurite.port;
      await azurite.stop();
      azurite = await startAzurite({ port, extentMemoryMiB: EXTENT_MEMORY_MIB });
      box = await azurite.container('bench', name);
    },
    async close() {
      await azurite.stop();
    },
  };
}
