// The bench's Azure Blob Storage: Azurite (as in the tests), started on first use, one container.
// Rows into it compare the composer with `rclone rcat` on the same emulator in the same run; the
// emulator is not Azure, so they say nothing about Azure's own speed.
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
  return {
    container: box.name,
    env: () => box.env(),
    rcloneEnv: () => ({
      RCLONE_CONFIG_AZBENCH_TYPE: 'azureblob', RCLONE_CONFIG_AZBENCH_ACCOUNT: AZURITE_ACCOUNT,
      RCLONE_CONFIG_AZBENCH_KEY: AZURITE_KEY, RCLONE_CONFIG_AZBENCH_ENDPOINT: azurite.blobEndpoint,
    }),
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
