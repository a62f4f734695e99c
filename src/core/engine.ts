import { consoleLogger } from './util/console-logger.js';
import { InProcessDispatcher } from './dispatch/in-process-dispatcher.js';
import { EngineEventBus } from './events.js';
import { IdClock } from './ids.js';
import { DEFAULT_PRICES, type EngineOptions, type EngineRole, type IdempotencyPolicy, type Logger, type Prices } from './options.js';
import { relayEvents } from './relay-events.js';
import type { Dispatcher } from './ports/dispatcher.js';
import type { PollPolicy } from './ports/provider-adapter.js';
import type { StorageAdapter } from './ports/storage-adapter.js';
import { BatchService } from './services/batches/batch-service.js';
import { FAILED_REFUND_PREFIX, TaskWorker } from './services/batches/task-worker.js';
import { CreditLedger } from './services/credit-ledger.js';
import { GenerationPipeline, ShutdownSignal } from './services/generation-pipeline.js';
import { recoverPendingGenerations, type GenerationRecovery } from './services/generation-sweep.js';
import { DEFAULT_POLL_POLICY } from './services/generation-runner.js';
import { DEFAULT_MAX_BATCH_TASKS } from './schemas/requests.js';
import { DEFAULT_IDEMPOTENCY_RETAIN_MS } from './storage-kit/idempotency-windows.js';
import { resolveImageLimits, type ImageLimits } from './image-input/limits.js';
import type { ImageStore } from './ports/image-store.js';
import { ImageToImage } from './services/image-to-image.js';
import { StorageRecordReader } from './services/record-reader.js';
import type { RecordReader, SingleGenerationService } from './ports/single-generation.js';
import { TextToImage } from './services/text-to-image.js';
import { createUserSlots } from './util/user-slots.js';
import { checkReadiness, type ReadinessReport } from './services/readiness.js';
import type { Telemetry } from './ports/telemetry.js';
import { instrumentPorts } from './telemetry/instrument-ports.js';
import { instrumentServices } from './telemetry/instrument-services.js';
import { debugRuns, logTaskEnds } from './util/log-task-ends.js';

/** The composed services of one engine. Create with {@link createEngine}. */
export interface Engine {
  /** Typed events: `task:progress`, `task:completed`, `task:failed`, `task:cancelled`, `batch:completed`, `credits:changed`. */
  readonly events: EngineEventBus;
  readonly credits: CreditLedger;
  readonly batches: BatchService;
  /** Image-to-image: `run(username, { prompt, input_image, ... })`, 2 credits, refunded on failure. */
  readonly imageToImage: SingleGenerationService;
  /** Text-to-image: `run(username, { prompt, ... })`, 1 credit, refunded on failure. */
  readonly textToImage: SingleGenerationService;
  /** A user's text-to-image and image-to-image records, newest first. */
  readonly records: RecordReader;
  /** Where every result image is kept; the HTTP handler serves it. */
  readonly imageStore: ImageStore;
  /** Limits applied to input images. */
  readonly imageLimits: ImageLimits;
  /** The largest batch `batches.submit` accepts (the HTTP handler documents it). */
  readonly maxTasksPerBatch: number;
  readonly storage: StorageAdapter;
  readonly dispatcher: Dispatcher;
  readonly prices: Prices;
  readonly pollPolicy: PollPolicy;
  /**
   * The provider's own id of a stored request id (a task's `result.requestId`, a record's
   * `requestId`): what the provider's `publicRequestId` makes of it, or the id as it is.
   */
  publicRequestId(requestId: string): string;
  /** How idempotency keys age: the services use it, and so does the HTTP handler. */
  readonly idempotency: IdempotencyPolicy;
  readonly role: EngineRole;
  /** Where the engine writes its warnings and errors (the admin API writes its action log here too). */
  readonly logger: Logger;
  /**
   * Settles the text-to-image and image-to-image generations whose process died after charging:
   * each pending marker older than `olderThanMs` is refunded exactly once when its record was never
   * written, and dropped otherwise. {@link Engine.start} runs it; hosts may also run it on a timer.
   * `olderThanMs` must exceed the longest a live generation can run, or a slow one still running
   * in another process could be refunded and then write its record.
   * @default olderThanMs: idempotency.staleAfterMs (the generation timeout plus two minutes)
   */
  recoverGenerations(options?: { olderThanMs?: number }): Promise<GenerationRecovery>;
  /**
   * Settles generations interrupted by a previous process ({@link Engine.recoverGenerations}),
   * connects the event relay (to hear other processes' events; `api` and `both` only) and, unless
   * the role is `api`, starts the workers ({@link Engine.startWorkers}).
   */
  start(options?: { takeOverProcessing?: boolean }): Promise<{ recovered: number }>;
  /**
   * Starts running tasks in this process and re-queues the ones a previous process left open
   * (`pending`, and `processing` ones when `takeOverProcessing`: the default with an in-process
   * dispatcher; with a distributed one a `processing` task is taken over only once its lease ends).
   */
  startWorkers(options?: { takeOverProcessing?: boolean }): Promise<{ recovered: number }>;
  /**
   * Stops taking tasks; running ones get `graceMs` to end, then are interrupted and left open
   * (`processing`, lease released) for the next worker or the next start.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Resolves when the in-process dispatcher has nothing queued or running. */
  onIdle(): Promise<void>;
  /**
   * Asks storage, the queue and the image store whether they answer (each within `timeoutMs`);
   * not ready from the moment {@link Engine.stop} begins. Behind `GET /ready`.
   * @default timeoutMs: 2000
   */
  readiness(options?: { timeoutMs?: number }): Promise<ReadinessReport>;
  /** The host's `telemetry`, when given (the HTTP handler traces requests with it). */
  readonly telemetry: Telemetry | undefined;
}

/** Enough for a few tabs or scripts of one person; a small share of what the provider keys run at once. */
const DEFAULT_GENERATIONS_IN_FLIGHT_PER_USER = 4;
/** Five full batches of the default size (10): a person's queue, not a flood of the shared provider keys. */
const DEFAULT_TASKS_WAITING_PER_USER = 50;

const defaultLogger = consoleLogger();

/**
 * Builds an engine from its ports.
 *
 * @example
 * const engine = createEngine({ storage: createMemoryStorage(), provider: createOfflineProvider(), imageStore: createMemoryImageStore() });
 * await engine.start();
 * await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
 * const { batch } = await engine.batches.submit('alice', { prompt: 'a red fox', count: 3 });
 */
export function createEngine(options: EngineOptions): Engine {
  const now = options.now ?? Date.now;
  const prices: Prices = { ...DEFAULT_PRICES, ...options.prices };
  for (const [name, price] of Object.entries(prices)) {
    if (!Number.isSafeInteger(price) || price < 0) throw new RangeError(`prices.${name} must be a whole number of 0 or more`);
  }
  const pollPolicy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...options.provider.pollPolicy, ...options.pollPolicy };
  const timeoutMs = options.taskTimeoutMs ?? pollPolicy.maxPolls * pollPolicy.pollIntervalMs + (pollPolicy.submitTimeoutMs ?? 0) + 30_000;
  // A generation is aborted after timeoutMs; two more minutes cover fetching the input image,
  // moderation, the charge and the record. A key pending longer than that has no live request.
  const idempotency: IdempotencyPolicy = {
    staleAfterMs: options.idempotency?.staleAfterMs ?? timeoutMs + 120_000,
    retainMs: options.idempotency?.retainMs ?? DEFAULT_IDEMPOTENCY_RETAIN_MS,
  };
  for (const [name, ms] of Object.entries(idempotency)) {
    if (!Number.isSafeInteger(ms) || ms < 1) throw new RangeError(`idempotency.${name} must be a whole number of milliseconds, at least 1`);
  }
  const events = new EngineEventBus();
  const logger = options.logger ?? defaultLogger;
  const dispatcher: Dispatcher =
    options.dispatcher ??
    new InProcessDispatcher({ concurrency: options.concurrency ?? 8, now, ...(options.timers ? { timers: options.timers } : {}) });
  const { telemetry } = options;
  // The services see instrumented ports; the engine still exposes the host's own.
  const traced = instrumentPorts({ dispatcher, provider: options.provider, imageStore: options.imageStore }, telemetry);
  const role: EngineRole = options.role ?? 'both';
  if (!['api', 'worker', 'both'].includes(role)) throw new RangeError(`role must be 'api', 'worker' or 'both', not ${String(role)}`);
  if (role === 'api' && !dispatcher.distributed) {
    throw new RangeError(
      "role 'api' needs a distributed dispatcher (e.g. createBullMQDispatcher): with the in-process one no task would ever run",
    );
  }
  const leaseMs = options.leaseMs ?? 30_000;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 30) throw new RangeError('leaseMs must be a whole number of milliseconds, at least 30');
  const maxTasksWaiting = options.maxTasksWaitingPerUser ?? DEFAULT_TASKS_WAITING_PER_USER;
  if (maxTasksWaiting !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxTasksWaiting) || maxTasksWaiting < 1)) {
    throw new RangeError('maxTasksWaitingPerUser must be a whole number of 1 or more, or Infinity');
  }
  const credits = new CreditLedger(options.storage, events, now);
  const pipeline = new GenerationPipeline({
    provider: traced.provider,
    imageStore: traced.imageStore,
    policy: pollPolicy,
    timeoutMs,
    ...(options.timers ? { timers: options.timers } : {}),
  });

  const worker = new TaskWorker({
    storage: options.storage,
    events,
    pipeline,
    leaseMs,
    progressWriteIntervalMs: options.progressWriteIntervalMs ?? 250,
    refundFailed: options.refundFailedBatchTasks
      ? { amount: prices.batchTask, keyPrefix: FAILED_REFUND_PREFIX, reason: 'the task failed' }
      : null,
    announce: (result) => credits.announce(result),
    now,
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const batches = new BatchService({
    storage: options.storage,
    ledger: credits,
    events,
    dispatcher: traced.dispatcher,
    worker,
    provider: options.provider,
    pricePerTask: prices.batchTask,
    refundCancelledRunning: options.refundCancelledRunning ?? false,
    maxTasksPerBatch: options.maxTasksPerBatch ?? DEFAULT_MAX_BATCH_TASKS,
    maxTasksWaiting: maxTasksWaiting === Number.POSITIVE_INFINITY ? undefined : maxTasksWaiting,
    rateLimiter: options.rateLimiter,
    moderatePrompt: options.moderatePrompt,
    clock: new IdClock(now),
    logger,
    now,
  });
  if (telemetry) instrumentServices({ batches, credits, dispatcher, provider: options.provider, telemetry });
  const imageLimits = resolveImageLimits(options.imageLimits);
  const single = {
    storage: options.storage,
    ledger: credits,
    events,
    pipeline,
    imageStore: options.imageStore,
    clock: new IdClock(now),
    logger,
    moderatePrompt: options.moderatePrompt,
    idempotency,
    inFlight: createUserSlots(
      'maxGenerationsInFlightPerUser',
      options.maxGenerationsInFlightPerUser ?? DEFAULT_GENERATIONS_IN_FLIGHT_PER_USER,
      {
        message: 'Too many of your generations are running: wait for one to finish, then try again',
        retryAfterSeconds: 5,
      },
    ),
    now,
  };
  const imageToImage = new ImageToImage({
    ...single,
    price: prices.imageToImage,
    limits: imageLimits,
    fetchInputImage: options.fetchInputImage,
  });
  const textToImage = new TextToImage({ ...single, price: prices.textToImage });
  // A listener that throws must not break a task.
  events.on('task:failed', (event) =>
    logger.warn('task failed', {
      batchId: event.batchId,
      taskId: event.taskId,
      username: event.username,
      attempt: event.attempt,
      error: event.error,
    }),
  );
  logTaskEnds(events, logger);
  const relay = options.eventRelay ? relayEvents(events, options.eventRelay) : null;
  let workersStarted = false;
  let stopping = false;

  async function startWorkers(startOptions: { takeOverProcessing?: boolean } = {}): Promise<{ recovered: number }> {
    pipeline.resume();
    workersStarted = true;
    await traced.dispatcher.start(debugRuns(worker.runJob, logger));
    const recovered = await batches.recover({ takeOverProcessing: startOptions.takeOverProcessing ?? !dispatcher.distributed });
    return { recovered };
  }

  async function recoverGenerations(recoverOptions: { olderThanMs?: number } = {}): Promise<GenerationRecovery> {
    const olderThanMs = recoverOptions.olderThanMs ?? idempotency.staleAfterMs;
    if (!Number.isSafeInteger(olderThanMs) || olderThanMs < 0)
      throw new RangeError('olderThanMs must be a whole number of milliseconds, 0 or more');
    return recoverPendingGenerations({ storage: options.storage, ledger: credits, logger }, now() - olderThanMs);
  }

  return {
    events,
    credits,
    batches,
    imageToImage,
    textToImage,
    records: new StorageRecordReader(options.storage),
    imageStore: options.imageStore,
    imageLimits,
    maxTasksPerBatch: options.maxTasksPerBatch ?? DEFAULT_MAX_BATCH_TASKS,
    storage: options.storage,
    dispatcher,
    prices,
    pollPolicy,
    publicRequestId: (requestId) => options.provider.publicRequestId?.(requestId) ?? requestId,
    idempotency,
    role,
    logger,
    telemetry,
    recoverGenerations,
    async start(startOptions = {}) {
      stopping = false;
      pipeline.resume();
      // Every role runs single generations in some process: any may settle the ones that died.
      await recoverGenerations();
      // A worker publishes its events but needs nobody else's: it skips decoding the whole cluster's.
      if (role !== 'worker') await relay?.connect();
      if (role === 'api') return { recovered: 0 };
      return startWorkers(startOptions);
    },
    startWorkers,
    async stop(stopOptions = {}) {
      stopping = true;
      if (workersStarted) await dispatcher.stop({ graceMs: stopOptions.graceMs ?? 10_000 });
      pipeline.stop(new ShutdownSignal());
      workersStarted = false;
      await dispatcher.close?.();
      await relay?.close();
    },
    onIdle() {
      return dispatcher.onIdle?.() ?? Promise.resolve();
    },
    readiness(readinessOptions = {}) {
      const timeoutMs = readinessOptions.timeoutMs ?? 2000;
      return checkReadiness({ storage: options.storage, dispatcher, imageStore: options.imageStore, stopping }, timeoutMs);
    },
  };
}
