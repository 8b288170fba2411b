// A store SDK failure (S3 or Azure Blob) as the one line a user needs, with its CDC_CLI_* code.
// Only our own words, names and the SDK's error codes are used: never a request URL (a SAS token
// rides in its query) or a credential.
import { CdcError, type ErrorCode } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/object-store.ts';

const NETWORK = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'];
const as = (code: ErrorCode, detail: string) => new CdcError(code, detail);

function s3Problem(e: unknown, bucket: string): CdcError | undefined {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(err.message ?? '')) return as('CDC_CLI_NO_CREDENTIALS', 'no S3 credentials found');
  if (name === 'NoSuchBucket') return as('CDC_CLI_NO_BUCKET', `bucket "${bucket}" does not exist`);
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden'].includes(name) || status === 403) {
    return as('CDC_CLI_ACCESS_DENIED', `S3 refused access to bucket "${bucket}" (${name || status})`);
  }
  if (NETWORK.includes(err.code ?? '') || name === 'TimeoutError') {
    return as('CDC_CLI_S3_UNREACHABLE', `${err.code ?? name}: ${err.message ?? ''}`.trim());
  }
  return undefined;
}

/** The network error under an Azure REQUEST_SEND_ERROR (its message may be all the SDK keeps of it). */
function networkCode(e: { code?: string; message?: string; cause?: unknown }): string | undefined {
  for (let x: { code?: string; message?: string; cause?: unknown } | undefined = e; x; x = x.cause as typeof x) {
    if (NETWORK.includes(x.code ?? '')) return x.code;
  }
  return NETWORK.find((c) => (e.message ?? '').includes(c));
}

function azureProblem(e: unknown, container: string): CdcError | undefined {
  const err = e as { name?: string; code?: string; statusCode?: number; message?: string; details?: { errorCode?: string } };
  const code = err.details?.errorCode ?? err.code ?? '';
  if (code === 'ContainerNotFound') return as('CDC_CLI_NO_BUCKET', `Azure container "${container}" does not exist`);
  if (err.statusCode === 403 || ['AuthenticationFailed', 'AuthorizationFailure', 'AuthorizationPermissionMismatch'].includes(code)) {
    return as('CDC_CLI_ACCESS_DENIED', `Azure refused access to container "${container}" (${code || err.statusCode})`);
  }
  const net = networkCode(err);
  if (net || code === 'REQUEST_SEND_ERROR' || err.name === 'AbortError') {
    return as('CDC_CLI_S3_UNREACHABLE', `the Azure blob endpoint did not answer (${net ?? (code || err.name)})`);
  }
  return undefined;
}

/** `store` is unknown when it was never opened (the failure came before). */
export function storeProblem(e: unknown, store: ObjectStore | undefined): CdcError | undefined {
  if (e instanceof CdcError) {
    // The shared client builder's code speaks for the composer ("spooled"); cdh has its own.
    return e.code === 'CDC_AZURE_CONFIG' ? as('CDC_CLI_NO_CREDENTIALS', e.detail ?? 'no Azure credentials') : e;
  }
  if (store?.kind === 'azure') return azureProblem(e, store.name);
  return s3Problem(e, store?.name ?? '?');
}
