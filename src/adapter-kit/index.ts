/**
 * imagegen-kit/adapter-kit: what people who write adapters reuse.
 *
 * - Storage: the conformance suite every storage adapter must pass, as a function that takes the
 *   test functions of the host's runner, and the pure rules the bundled adapters share.
 * - Providers: the HTTP helpers the bundled provider adapters are built from.
 */

// ---- the generation loop: drive a provider adapter exactly as the engine does ----
export { DEFAULT_POLL_POLICY, runGeneration, type GenerationRun } from '../core/services/generation-runner.js';

// ---- storage ----
// The records as storage keeps them (the API answers the public shapes from the root entry).
export {
  batchRecordSchema,
  batchSummarySchema,
  batchTaskSchema,
  generationRecordSchema,
} from '../core/schemas/records.js';

export {
  runStorageConformance,
  type AdapterFactory,
  type ConformanceAssertion,
  type ConformanceContext,
  type ConformanceExpect,
  type ConformanceTestApi,
  type StorageConformanceOptions,
} from './conformance/index.js';
export { charge, claimPending, grant, journalSum, makeBatch, seededBatch, tick } from './conformance/fixtures.js';
export {
  assertSameEntry,
  copyBatch,
  copyTask,
  DEFAULT_IDEMPOTENCY_RETAIN_MS,
  idTaken,
  numericCursor,
  pageLimit,
  retainOf,
  staleAfterOf,
  summaryOf,
  taskChargeKey,
  taskNotFailed,
  taskRefundEntry,
  tooManyTasksWaiting,
} from '../core/storage-kit/index.js';

// ---- providers ----
export {
  assertOutputFormat,
  keyList,
  providerHttpFor,
  resultDownloader,
  warnOnce,
  type CommonProviderOptions,
  type HttpProviderAdapter,
  type WebhookSettings,
} from '../adapters/providers/provider-kit/http-provider-adapter.js';
export { KeyPool, keyFingerprint, type KeyLease, type KeyPoolOptions, type KeyStats } from '../adapters/providers/provider-kit/key-pool.js';
export { ProviderHttp, type ProviderHttpOptions } from '../adapters/providers/provider-kit/provider-http.js';
export { sendRequest, snippet, type JsonResponse, type SendRequestOptions } from '../adapters/providers/provider-kit/send-request.js';
export { withRetries, type RetryOptions } from '../adapters/providers/provider-kit/retry.js';
export { HttpStatusError, NetworkError, isTransient, parseRetryAfter } from '../adapters/providers/provider-kit/http-status-error.js';
export { downloadImage, type DownloadOptions } from '../adapters/providers/provider-kit/download.js';
export { decodeRef, encodeRef, type RequestRef } from '../adapters/providers/provider-kit/request-ref.js';
export { StatusInbox, waitOnInbox, type StatusInboxOptions } from '../adapters/providers/provider-kit/status-inbox.js';
export { fromBase64, sniffImageType, toDataUrl } from '../adapters/providers/provider-kit/image-type.js';
export { sizeFor } from '../adapters/providers/provider-kit/aspect-ratio.js';
