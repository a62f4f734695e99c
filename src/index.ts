/**
 * imagegen-kit: the engine, its errors, ports, events and public schemas. Adapters live in
 * subpaths such as `imagegen-kit/adapters/storage/memory`; this entry pulls in none of them and no
 * Node-only module, so it also runs in browsers and edge runtimes.
 *
 * This list is the public surface: every name here is a promise. Internals are not exported
 * (adapter authors get their helpers from `imagegen-kit/adapter-kit`).
 */

// ---- the engine ----
export { createEngine, type Engine } from './core/engine.js';
export type { EngineOptions, EngineRole, IdempotencyPolicy, Logger, Prices, PromptModerator } from './core/options.js';
export type { Timers } from './core/util/timers.js';
export { parseEngineRole } from './core/role.js';
export type { CreditLedger, GrantOptions, LedgerCallOptions } from './core/services/credit-ledger.js';
export type { GrantTerms } from './core/policy/grants.js';
// Types only for the newer answers: the root's run-time names are capped at 40 (test/package/build.test.ts).
export type { CreditGrant, CreditGrantView, GrantKind } from './core/schemas/grants.js';
export type { BatchService, SubmitOptions, SubmitResult as BatchSubmitResult } from './core/services/batches/batch-service.js';
export type { GenerationRecovery } from './core/services/generation-sweep.js';
export type { ReadinessCheck, ReadinessReport } from './core/services/readiness.js';
export type {
  InputImageFetcher,
  RecordReader,
  SingleGenerationOptions,
  SingleGenerationResult,
  SingleGenerationService,
} from './core/ports/single-generation.js';

// ---- errors ----
export { ImageGenError, isImageGenError, type ErrorCode } from './core/errors/image-gen-error.js';
export { ValidationError } from './core/errors/validation-error.js';
export { UnauthorizedError } from './core/errors/unauthorized-error.js';
export { NotFoundError } from './core/errors/not-found-error.js';
export { InsufficientCreditsError } from './core/errors/insufficient-credits-error.js';
export { ConflictError } from './core/errors/conflict-error.js';
export { PayloadTooLargeError } from './core/errors/payload-too-large-error.js';
export { UnsupportedMediaTypeError } from './core/errors/unsupported-media-type-error.js';
export { RateLimitedError } from './core/errors/rate-limited-error.js';
export { ProviderError } from './core/errors/provider-error.js';
export { TimeoutError } from './core/errors/timeout-error.js';

// ---- ports and events (types only) ----
export type * from './core/ports/index.js';
export type {
  BatchCompletedEvent,
  CreditsChangedEvent,
  EngineEventBus,
  EngineEvents,
  GenerationProgressEvent,
  TaskCompletedEvent,
  TaskEventBase,
  TaskFailedEvent,
  TaskCancelledEvent,
  TaskProgressEvent,
} from './core/events.js';

// ---- public schemas: requests, records, responses ----
export { ASPECT_RATIOS, OUTPUT_FORMATS, type AspectRatio, type OutputFormat, type TaskParams } from './core/schemas/params.js';
export {
  batchGenerateRequestSchema,
  generateRequestSchema,
  imageToImageRequestSchema,
  type BatchGenerateRequest,
  type GenerateRequest,
  type ImageToImageRequest,
  type PageQuery,
  type TaskRefRequest,
} from './core/schemas/requests.js';
// What the API answers: tasks, batches and records as they leave the server.
export {
  publicBatchSchema,
  publicBatchSummarySchema,
  publicGenerationRecordSchema,
  publicTaskSchema,
  type PublicBatch,
  type PublicBatchSummary,
  type PublicGenerationRecord,
  type PublicTask,
} from './core/schemas/public.js';
// What storage keeps (adapter authors get the schemas from imagegen-kit/adapter-kit).
export {
  ledgerEntrySchema,
  type BatchRecord,
  type BatchStatus,
  type BatchSummary,
  type BatchTask,
  type GenerationRecord,
  type LedgerEntry,
  type LedgerKind,
  type TaskResult,
  type TaskStatus,
} from './core/schemas/records.js';
export {
  batchCreatedResponseSchema,
  batchListResponseSchema,
  creditsResponseSchema,
  errorBodySchema,
  generateResponseSchema,
  imageToImageResponseSchema,
  uploadResponseSchema,
  type BatchCreatedResponse,
  type BatchListResponse,
  type CreditsResponse,
  type ErrorBody,
  type GenerateResponse,
  type ImageToImageResponse,
  type Messages,
  type UploadResponse,
} from './core/schemas/responses.js';
export {
  progressEventSchema,
  recordListResponseSchema,
  retryResponseSchema,
  type ProgressEvent,
  type RecordListResponse,
  type RetryResponse,
} from './core/schemas/wire.js';
export type { BatchCancelRequest, BatchCancelResponse } from './core/schemas/cancel.js';
export type { CancelResult } from './core/services/batches/cancel-batch.js';

// ---- image input and ids ----
export { uploadImage, type UploadedImage } from './core/image-input/upload.js';
export type { ImageLimits, ImageType } from './core/image-input/limits.js';
export { assertUsername, batchId, parseBatchId, parseRecordId, taskId } from './core/ids.js';
