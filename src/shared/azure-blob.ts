// Azure Blob Storage for the composer and the agent: the one place a blob client is built, and the
// block commands both send. A dump is a block blob: its parts are staged as blocks (Put Block,
// through the shared part loop), then committed in order (Put Block List). Staged blocks that are
// never committed stay on the blob for a week, so a dump cut mid-stream can be committed later by
// the agent from the block ids in its manifest, like an open S3 multipart upload.
import { randomBytes } from 'node:crypto';
import {
  AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential, type BlockBlobClient, type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { AzureConfig } from './config.ts';
import { CdcError, describeError } from './errors.ts';
import type { PartSender } from './part-uploader.ts';

export interface AzureClientOptions {
  /** Per-try timeout: a stalled store must not hold a crashed process forever. */
  requestTimeoutMs?: number;
  maxTries?: number;
}

/** The credential kind in use, for logs (never the secret). */
export function azureCredentialKind(az: AzureConfig): 'connection-string' | 'shared-key' | 'sas' | 'workload-identity' {
  if (az.connectionString) return 'connection-string';
  if (az.account && az.key) return 'shared-key';
  if (az.account && az.sasToken) return 'sas';
  return 'workload-identity';
}

function accountUrl(az: AzureConfig): string {
  if (az.blobEndpoint) return az.blobEndpoint;
  if (!az.account) throw new CdcError('CDC_AZURE_CONFIG', 'AZURE_STORAGE_ACCOUNT (or AZURE_STORAGE_CONNECTION_STRING) is not set');
  return `https://${az.account}.blob.core.windows.net`;
}

/** A client for the configured container. Workload Identity loads @azure/identity, only then. */
export async function createContainerClient(az: AzureConfig, opts: AzureClientOptions = {}): Promise<ContainerClient> {
  if (!az.container) throw new CdcError('CDC_AZURE_CONFIG', 'AZURE_STORAGE_CONTAINER is not set');
  const pipeline: StoragePipelineOptions = {
    retryOptions: { maxTries: opts.maxTries ?? 3, tryTimeoutInMs: opts.requestTimeoutMs ?? 60_000 },
    userAgentOptions: { userAgentPrefix: 'core-dump-handler' },
  };
  let service: BlobServiceClient;
  switch (azureCredentialKind(az)) {
    case 'connection-string':
      try {
        service = BlobServiceClient.fromConnectionString(az.connectionString!, pipeline);
      } catch {
        // The SDK's message may quote the string, which holds the key: ours names only the variable.
        throw new CdcError('CDC_AZURE_CONFIG', 'AZURE_STORAGE_CONNECTION_STRING could not be parsed');
      }
      break;
    case 'shared-key':
      service = new BlobServiceClient(accountUrl(az), new StorageSharedKeyCredential(az.account!, az.key!), pipeline);
      break;
    case 'sas':
      service = new BlobServiceClient(`${accountUrl(az)}?${az.sasToken}`, new AnonymousCredential(), pipeline);
      break;
    case 'workload-identity': {
      // The federated token file the AKS webhook mounts (the agent keeps a host copy for the composer).
      if (!az.clientId || !az.tenantId || !az.federatedTokenFile) {
        throw new CdcError('CDC_AZURE_CONFIG', 'no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or Workload Identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)');
      }
      const { WorkloadIdentityCredential } = await import('@azure/identity');
      const credential = new WorkloadIdentityCredential({
        clientId: az.clientId, tenantId: az.tenantId, tokenFilePath: az.federatedTokenFile,
        ...(az.authorityHost ? { authorityHost: az.authorityHost } : {}),
      });
      service = new BlobServiceClient(accountUrl(az), credential, pipeline);
      break;
    }
  }
  return service.getContainerClient(az.container);
}

/** The blob a dump is stored as, and the container's name for logs and manifests. */
export interface BlobTarget {
  readonly blob: BlockBlobClient;
  readonly container: string;
  readonly name: string;
}

export function blobTarget(container: ContainerClient, name: string): BlobTarget {
  return { blob: container.getBlockBlobClient(name), container: container.containerName, name };
}

/**
 * A fresh tag for one upload: block ids are `{tag}-{part number}`, so blocks of an earlier attempt
 * at the same blob never mix with ours (Azure needs ids of one length within a blob).
 */
export function newUploadTag(): string {
  return randomBytes(6).toString('hex');
}

export function blockId(tag: string, partNumber: number): string {
  return Buffer.from(`${tag}-${String(partNumber).padStart(6, '0')}`).toString('base64');
}

/** The PartUploader's sender for Azure: one Put Block, the block id the receipt. */
export function blockSender(t: BlobTarget, tag: string): PartSender {
  return async (partNumber, body, abortSignal) => {
    const id = blockId(tag, partNumber);
    await t.blob.stageBlock(id, body, body.length, { abortSignal });
    return id;
  };
}

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;
const errorCodeOf = (e: unknown) => (e as { details?: { errorCode?: string }; code?: string }).details?.errorCode ?? (e as { code?: string }).code;

/** The blob's size if it exists; undefined if not. A missing container is an error. */
export async function existingBlob(t: BlobTarget, abortSignal?: AbortSignal): Promise<{ bytes: number } | undefined> {
  try {
    const p = await t.blob.getProperties({ abortSignal });
    return { bytes: p.contentLength ?? 0 };
  } catch (e) {
    if (statusOf(e) === 404 && errorCodeOf(e) !== 'ContainerNotFound') return undefined;
    throw e;
  }
}

/**
 * A dump never replaces another: the blob must not exist yet (checked again at commit). A
 * write-only SAS may not read properties: then the conditional commit alone guards it.
 */
export async function assertNoBlob(t: BlobTarget, abortSignal?: AbortSignal): Promise<void> {
  let found;
  try {
    found = await existingBlob(t, abortSignal);
  } catch (e) {
    if (statusOf(e) === 403 && errorCodeOf(e) === 'AuthorizationPermissionMismatch') return;
    throw e;
  }
  if (found) throw new CdcError('CDC_KEY_EXISTS', `azure://${t.container}/${t.name} already exists (${found.bytes} bytes)`);
}

/** Staged (uncommitted) blocks of the blob: id -> size. */
export async function stagedBlocks(t: BlobTarget, abortSignal?: AbortSignal): Promise<Map<string, number>> {
  try {
    const list = await t.blob.getBlockList('uncommitted', { abortSignal });
    return new Map((list.uncommittedBlocks ?? []).map((b) => [b.name, b.size]));
  } catch (e) {
    if (statusOf(e) === 404 && errorCodeOf(e) !== 'ContainerNotFound') return new Map();
    throw e;
  }
}

/**
 * Commits the blocks in order as the blob, only if no blob exists (If-None-Match: *), so a dump
 * never overwrites one. Returns the blob's size as Azure reports it.
 */
export async function commitBlocks(
  t: BlobTarget, ids: string[], bytes: number, abortSignal?: AbortSignal, metadata?: Record<string, string>,
): Promise<{ bytes: number }> {
  try {
    await t.blob.commitBlockList(ids, {
      abortSignal, conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: 'application/zip' },
      ...(metadata ? { metadata } : {}),
    });
  } catch (e) {
    if (statusOf(e) === 409 || statusOf(e) === 412) throw new CdcError('CDC_KEY_EXISTS', `azure://${t.container}/${t.name} appeared before the commit; not replaced`, undefined, { cause: e });
    throw e;
  }
  return { bytes };
}

/** "azure://container/blob", for logs and messages. */
export function blobUrl(t: { container: string; name: string }): string {
  return `azure://${t.container}/${t.name}`;
}

