import type { Dispatcher } from './ports/dispatcher.js';
import type { EventRelay } from './ports/event-relay.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import type { ImageStore } from './ports/image-store.js';
import type { PollPolicy, ProviderAdapter } from './ports/provider-adapter.js';
import type { StorageAdapter } from './ports/storage-adapter.js';
import type { ImageLimits } from './image-input/limits.js';
import type { InputImageFetcher } from './ports/single-generation.js';
import type { Telemetry } from './ports/telemetry.js';
import type { Timers } from './util/timers.js';

/** Credits each operation costs. */
export interface Prices {
  /** @default 1 */
  textToImage: number;
  /** @default 2 */
  imageToImage: number;
  /** Per task, charged at submit. @default 1 */
  batchTask: number;
}
export const DEFAULT_PRICES: Prices = { textToImage: 1, imageToImage: 2, batchTask: 1 };

/** A host's prompt filter: return a reason to reject the prompt, or null to accept it. */
export type PromptModerator = (prompt: string, context: { username: string }) => string | null | Promise<string | null>;

/**
 * Where the engine writes what it notices. Secrets are never passed to it. `info` (a batch
 * submitted, a task or batch ended) and `debug` (a task claimed) are optional, so a logger of
 * warnings and errors only still fits; fields carry ids (`batchId`, `taskId`, `username`), never keys.
 */
export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  debug?(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What a process does: `api` submits and answers (its tasks run in worker processes), `worker` runs
 * tasks, `both` does both (a single-process host).
 */
export type EngineRole = 'api' | 'worker' | 'both';

/** How idempotency keys age (see {@link EngineOptions.idempotency}). */
export interface IdempotencyPolicy {
  /** A key pending this long is presumed abandoned by a crashed process and may be taken over. */
  staleAfterMs: number;
  /** How long a finished request's response is replayed. */
  retainMs: number;
}

/** Options of {@link createEngine}. */
export interface EngineOptions {
  storage: StorageAdapter;
  provider: ProviderAdapter;
  imageStore: ImageStore;
  /** Who runs tasks when. @default an in-process dispatcher with `concurrency` */
  dispatcher?: Dispatcher;
  /** Tasks running at once in this process (in-process dispatcher only). @default 8 */
  concurrency?: number;
  /** @default { textToImage: 1, imageToImage: 2, batchTask: 1 } */
  prices?: Partial<Prices>;
  /** @default 10 */
  maxTasksPerBatch?: number;
  /** @default { maxPolls: 40, pollIntervalMs: 800 }, or the provider's own */
  pollPolicy?: Partial<PollPolicy>;
  /** Hard limit of one generation, submit and download included. @default maxPolls × pollIntervalMs + 30 s */
  taskTimeoutMs?: number;
  /** Progress changes are written at most this often per task (events are not throttled). @default 250 */
  progressWriteIntervalMs?: number;
  /** Rejects prompts before anything is charged. @default length limits only */
  moderatePrompt?: PromptModerator;
  /**
   * `api` never runs tasks here (needs a distributed dispatcher such as BullMQ); `worker` and
   * `both` start running tasks on `start()`. @default 'both'
   */
  role?: EngineRole;
  /**
   * How long a task's claim holds without renewal. A running task renews it every third of this;
   * a worker that dies leaves its tasks to others once it runs out. @default 30000
   */
  leaseMs?: number;
  /**
   * Text-to-image and image-to-image generations one user may have running at once in this
   * process (the two together); one more is refused with `RateLimitedError` (429, `retry_after`)
   * before anything is charged. Counted per process: with N API processes a user may run N × this.
   * `Infinity` turns it off. @default 4
   */
  maxGenerationsInFlightPerUser?: number;
  /**
   * Batch tasks one user may have waiting (`pending` or `processing`) at once, counted in storage,
   * so across every process. A batch submit that would go over it is refused with
   * `RateLimitedError` (429, `retry_after`) in the storage step that charges: nothing charged,
   * nothing stored. A retry of a failed task is not refused by it (the task was counted when its
   * batch was submitted). 50 is five full batches of the default size: room for a person's
   * queue, not for flooding the shared provider keys. `Infinity` turns it off. @default 50
   */
  maxTasksWaitingPerUser?: number;
  /**
   * A running batch task that is cancelled gets its credit back too. Off by default: the provider
   * may already have been paid for it. A cancelled `pending` task is always refunded. @default false
   */
  refundCancelledRunning?: boolean;
  /**
   * Each failed attempt of a batch task is refunded once (in the same step as the failure, so also
   * after a retry, which is charged again). Off by default, as the contract says: the provider was
   * paid. @default false
   */
  refundFailedBatchTasks?: boolean;
  /** Asked before every charge of a batch submit or retry; a refusal is `RateLimitedError` (429). @default none */
  rateLimiter?: RateLimiter;
  /**
   * Carries events between processes (e.g. `createRedisEventRelay`): every role publishes its
   * events; `api` and `both` engines also re-emit other processes' events on `events`, so SSE and
   * `waitForBatch` see tasks run elsewhere. @default none
   */
  eventRelay?: EventRelay;
  /**
   * Fetches `input_image` URLs of image-to-image (on Node: `createGuardedFetcher()` from
   * `imagegen-kit/adapters/input/guarded-fetch`). Without it, URLs are refused with a validation
   * error and only data URLs are accepted. @default undefined
   */
  fetchInputImage?: InputImageFetcher;
  /**
   * Idempotency keys of text-to-image and image-to-image (the HTTP handler's `Idempotency-Key`
   * follows the same policy): a key still pending `staleAfterMs` after its request began belongs to
   * a request whose process died, and the next request with it runs again; a finished request's
   * response is replayed for `retainMs`, after which the key is new.
   * @default { staleAfterMs: taskTimeoutMs + 120000, retainMs: 86400000 (24 h) }
   */
  idempotency?: Partial<IdempotencyPolicy>;
  /** Limits of input images, uploaded or fetched. @default { maxBytes: 10 MiB, maxPixels: 40_000_000, maxSide: 12_000 } */
  imageLimits?: Partial<ImageLimits>;
  /** @default Date.now */
  now?: () => number;
  /**
   * The timers of generation timeouts, poll intervals and lease renewals. With `now`, this lets a
   * deterministic simulator run the engine on virtual time. @default the runtime's timers
   */
  timers?: Timers;
  /** @default console */
  logger?: Logger;
  /**
   * Traces and metrics (`createOtelTelemetry()` of `imagegen-kit/adapters/telemetry/otel`, on
   * `@opentelemetry/api`): spans of submits, task runs (continued in the worker through the job),
   * provider calls and image writes, and the engine's counters, histograms and gauges. Without it
   * the engine runs no instrumentation code. @default none
   */
  telemetry?: Telemetry;
}
