// The bench's Azure Blob Storage: Azurite (as in the tests), started on first use, one container.
// Rows into it compare the composer with `rclone rcat` on the same emulator in the same run; the
// emulator is not Azure, so they say nothing about Azure's own speed.
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite, type TestContainer } from '../../test/helpers/azurite.ts';

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
  const azurite: Azurite = await startAzurite();
  const box: TestContainer = await azurite.container('bench');
  log(`Azurite at ${azurite.blobEndpoint}, container ${box.name}`);
  // rclone 1.60's emulator mode knows only port 10000; a container SAS URL names any endpoint.
  const sas = generateBlobSASQueryParameters({
    containerName: box.name, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 7 * 86400_000),
  }, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).toString();
  return {
    container: box.name,
    env: () => box.env(),
    rcloneEnv: () => ({ RCLONE_CONFIG_AZBENCH_TYPE: 'azureblob', RCLONE_CONFIG_AZBENCH_SAS_URL: `${azurite.blobEndpoint}/${box.name}?${sas}` }),
    async objects() {
      const out: { key: string; size: number }[] = [];
      for await (const b of box.client.listBlobsFlat()) out.push({ key: b.name, size: b.properties.contentLength ?? 0 });
      return out;
    },
    async clear() {
      for await (const b of box.client.listBlobsFlat()) await box.client.deleteBlob(b.name).catch(() => undefined);
    },
    async close() {
      await box.destroy();
      await azurite.stop();
    },
  };
}
