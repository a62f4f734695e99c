/**
 * imagegen-kit: the core (schemas, errors, events, ports, services). Adapters live in subpaths
 * such as `imagegen-kit/adapters/storage/memory`; this entry pulls in none of them and no
 * Node-only module, so it also runs in browsers and edge runtimes.
 */
export * from './core/errors/index.js';
export * from './core/schemas/index.js';
export type * from './core/ports/index.js';
export * from './core/events.js';
export * from './core/ids.js';
export * from './core/options.js';
export * from './core/engine.js';
export * from './core/image-keys.js';
export { CreditLedger, refundKeyOf, type LedgerCallOptions } from './core/services/credit-ledger.js';
export { BatchService, type SubmitOptions, type SubmitResult as BatchSubmitResult } from './core/services/batches/batch-service.js';
export { GenerationPipeline, ShutdownSignal } from './core/services/generation-pipeline.js';
export { runGeneration, DEFAULT_POLL_POLICY } from './core/services/generation-runner.js';
export { PROGRESS } from './core/policy/progress.js';
export { InProcessDispatcher, type InProcessDispatcherOptions } from './core/dispatch/in-process-dispatcher.js';
export { FairQueue } from './core/dispatch/fair-queue.js';
export * from './core/storage-kit/index.js';
export * from './core/image-input/index.js';
export { ImageToImage, DEFAULT_IMAGE_PROMPT_STRENGTH, type ImageToImageDeps } from './core/services/image-to-image.js';
export { TextToImage, type TextToImageDeps } from './core/services/text-to-image.js';
export { StorageRecordReader } from './core/services/record-reader.js';
export { runSingleGeneration, type SingleGenerationDeps, type SingleGenerationJob } from './core/services/single-generation-flow.js';
export { resolveInputImage } from './core/services/input-image.js';
export { recoverPendingGenerations, INTERRUPTED_REASON, type GenerationRecovery } from './core/services/generation-sweep.js';
export type {
  InputImageFetcher,
  RecordReader,
  SingleGenerationOptions,
  SingleGenerationResult,
  SingleGenerationService,
} from './core/services/single-generation.js';
export * from './core/role.js';
