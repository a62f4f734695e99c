import { PROGRESS } from '../../policy/progress.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { isImageGenError } from '../../errors/image-gen-error.js';
import type { EngineEventBus } from '../../events.js';
import { assertUsername, batchId as makeBatchId, chargeKeyFor, taskId as makeTaskId, type IdClock } from '../../ids.js';
import type { Dispatcher, TaskRunOutcome } from '../../ports/dispatcher.js';
import type { ProviderAdapter } from '../../ports/provider-adapter.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { RateLimitedError } from '../../errors/rate-limited-error.js';
import type { LedgerWriteResult, Page, PageRequest, StorageAdapter } from '../../ports/storage-adapter.js';
import { toTaskParams } from '../../schemas/params.js';
import { parseOrThrow } from '../../schemas/parse.js';
import type { BatchRecord, BatchSummary, BatchTask } from '../../schemas/records.js';
import { batchGenerateRequestSchema } from '../../schemas/requests.js';
import type { CreditLedger } from '../credit-ledger.js';
import { cancelBatch, type CancelResult } from './cancel-batch.js';
import { firstJobs, newBatchRecord } from './new-batch.js';
import type { RecoveryJob, TaskWorker } from './task-worker.js';
import { withFreshId } from '../fresh-id.js';
import { moderatePrompts } from '../moderation.js';
import { assertProviderSupports } from '../provider-support.js';
import type { Logger, PromptModerator } from '../../options.js';

export interface BatchServiceDeps {
  storage: StorageAdapter;
  ledger: CreditLedger;
  events: EngineEventBus;
  dispatcher: Dispatcher;
  /** Runs the tasks; {@link BatchService.process} runs one through it at once, {@link BatchService.cancel} stops one. */
  worker: Pick<TaskWorker, 'runJob' | 'cancelRunning'>;
  /** Whose capabilities a batch's parameters are checked against before the charge. */
  provider: ProviderAdapter;
  pricePerTask: number;
  /** See `EngineOptions.refundCancelledRunning`. */
  refundCancelledRunning: boolean;
  maxTasksPerBatch: number;
  /** See `EngineOptions.maxTasksWaitingPerUser`; undefined: no ceiling. */
  maxTasksWaiting: number | undefined;
  rateLimiter: RateLimiter | undefined;
  moderatePrompt: PromptModerator | undefined;
  clock: IdClock;
  logger: Logger;
  now: () => number;
}

export interface SubmitOptions {
  /** Same key + same body replays the first submit without charging again. */
  idempotencyKey?: string;
  /** Text that must match on replay (the HTTP layer passes a hash of the body). */
  fingerprint?: string;
}

/** Options of {@link BatchService.retry}. */
export interface RetryOptions extends SubmitOptions {
  /** What this retry costs (an operator's requeue passes 0: the entry is still journaled). @default the batch task price */
  price?: number;
  /** The charge's journal `reason`. @default 'retry of a failed task' */
  reason?: string;
}

export interface SubmitResult {
  batch: BatchRecord;
  creditsDeducted: number;
  creditsRemaining: number;
  replayed: boolean;
}

/**
 * Batches on the API side: submit (charged in full, atomically with creation, tasks queued on the
 * dispatcher), retry failed tasks (charged again), status, list, waiting for the end, and recovery
 * of the tasks a previous process left open. The {@link TaskWorker} runs the tasks.
 */
export class BatchService {
  readonly #schema;
  /** The worker's runner ({@link TaskWorker.runJob}), kept here for hosts that call it directly. */
  readonly runJob: (job: RecoveryJob) => Promise<TaskRunOutcome>;
  constructor(private readonly deps: BatchServiceDeps) {
    this.#schema = batchGenerateRequestSchema(deps.maxTasksPerBatch);
    this.runJob = deps.worker.runJob;
  }

  /** Validates, charges and creates a batch, then queues its tasks. Bad input charges nothing; over `maxTasksWaitingPerUser`: `RateLimitedError`, nothing charged. */
  async submit(username: string, body: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    assertUsername(username);
    const request = parseOrThrow(this.#schema, body);
    const prompts = request.prompts ?? Array.from({ length: request.count! }, () => request.prompt!);
    await moderatePrompts(this.deps.moderatePrompt, prompts, request.prompts ? 'prompts' : 'prompt', username);
    const params = toTaskParams(request);
    assertProviderSupports(this.deps.provider, { outputFormat: params.output_format, aspectRatio: params.aspect_ratio });
    const cost = prompts.length * this.deps.pricePerTask;
    await this.#checkRate(username);

    return withFreshId(this.deps.clock, async (timestamp) => {
      const id = makeBatchId(username, timestamp);
      const record = newBatchRecord(id, username, prompts, params, timestamp);
      const charge = {
        username,
        kind: 'charge' as const,
        amount: cost === 0 ? 0 : -cost,
        idempotencyKey: options.idempotencyKey ?? chargeKeyFor(id),
        reference: id,
        reason: `batch of ${prompts.length}`,
        fingerprint: options.fingerprint ?? null,
      };
      const limits = this.deps.maxTasksWaiting === undefined ? {} : { maxTasksWaiting: this.deps.maxTasksWaiting };
      const result = await this.deps.storage.createBatch(record, charge, this.deps.now(), limits).catch(async (error: unknown) => {
        if (isImageGenError(error)) throw error;
        // The write may have committed before the failure (the user is charged, the batch exists):
        // the same write again replays it, or makes it now. Either way this call created it.
        const again = await this.deps.storage.createBatch(record, charge, this.deps.now(), limits);
        return { ...again, replayed: false };
      });
      this.deps.ledger.announce(result);
      // A replay queues the tasks still pending too: the first submit may have committed and then
      // failed before queuing them (queuing a queued task again is harmless).
      const jobs = firstJobs(result.batch).filter((job) => !result.replayed || result.batch.tasks[job.index]!.status === 'pending');
      if (jobs.length > 0) await this.deps.dispatcher.enqueue(jobs);
      this.deps.logger.info?.(result.replayed ? 'batch submit replayed' : 'batch submitted', {
        batchId: result.batch.batchId,
        username,
        tasks: result.batch.totalTasks,
        creditsDeducted: -result.entry.amount,
      });
      return {
        batch: result.batch,
        creditsDeducted: -result.entry.amount,
        creditsRemaining: result.balance,
        replayed: result.replayed,
      };
    });
  }

  /** The batch record, when it exists and belongs to `username` (otherwise `NotFoundError`). */
  async status(username: string, batchId: string): Promise<BatchRecord> {
    const batch = await this.deps.storage.getBatch(batchId);
    if (!batch || batch.username !== username) throw new NotFoundError('Batch', batchId);
    return batch;
  }

  /** A user's batches, newest first. */
  async list(username: string, page: PageRequest = {}): Promise<Page<BatchSummary>> {
    assertUsername(username);
    return this.deps.storage.listBatches(username, page);
  }

  /**
   * Runs one task now, outside the queue, and returns it afterwards. A task that is already
   * running or ended is returned as it is.
   */
  async process(username: string, batchId: string, index: number): Promise<BatchTask> {
    const batch = await this.status(username, batchId);
    if (!batch.tasks[index]) throw new NotFoundError('Task', makeTaskId(batchId, index));
    await this.runJob({ batchId, index, username });
    return (await this.deps.storage.getTask(batchId, index))!;
  }

  /** Charges again and re-queues a failed task. The same key replays without charging twice. */
  async retry(
    username: string,
    batchId: string,
    index: number,
    options: RetryOptions = {},
  ): Promise<{ task: BatchTask; creditsDeducted: number; creditsRemaining: number; replayed: boolean }> {
    const price = options.price ?? this.deps.pricePerTask;
    if (!Number.isSafeInteger(price) || price < 0) throw new RangeError('price must be a whole number of 0 or more');
    const batch = await this.status(username, batchId);
    const task = batch.tasks[index];
    if (!task) throw new NotFoundError('Task', makeTaskId(batchId, index));
    await this.#checkRate(username);
    const retry = {
      charge: {
        username,
        kind: 'charge' as const,
        amount: price === 0 ? 0 : -price,
        idempotencyKey: options.idempotencyKey ?? `retry:${task.taskId}:${task.attempts}`,
        reference: task.taskId,
        reason: options.reason ?? 'retry of a failed task',
        fingerprint: options.fingerprint ?? null,
      },
      progress: PROGRESS.queued,
    };
    const result: LedgerWriteResult & { task: BatchTask } = await this.deps.storage
      .retryTask(batchId, index, retry, this.deps.now())
      .catch(async (error: unknown) => {
        if (isImageGenError(error)) throw error;
        // As for a submit: the retry may have committed (charged, task pending); the same write replays it.
        const again = await this.deps.storage.retryTask(batchId, index, retry, this.deps.now());
        return { ...again, replayed: false };
      });
    this.deps.ledger.announce(result);
    if (!result.replayed || result.task.status === 'pending') {
      await this.deps.dispatcher.enqueue([{ batchId, index, username, attempt: result.task.attempts }]);
    }
    return {
      task: result.task,
      creditsDeducted: -result.entry.amount,
      creditsRemaining: result.balance,
      replayed: result.replayed,
    };
  }

  /**
   * Cancels a batch, or one task of it (`taskIndex`). A `pending` task ends `cancelled` and its
   * credit is refunded once, in the same storage step; a `processing` one ends `cancelled`, its
   * provider request is cancelled where the provider can, and it is refunded only with
   * `refundCancelledRunning`. Its run stops at once in this process, within one lease renewal in
   * another. Cancelling again answers the same. Another user's batch is `NotFoundError`; a batch
   * (or task) that had already ended without a cancel is `ConflictError` (reason e.g.
   * `batch_completed`, `task_failed`).
   */
  cancel(username: string, batchId: string, options: { taskIndex?: number } = {}): Promise<CancelResult> {
    assertUsername(username);
    return cancelBatch(
      {
        storage: this.deps.storage,
        events: this.deps.events,
        pricePerTask: this.deps.pricePerTask,
        refundCancelledRunning: this.deps.refundCancelledRunning,
        stopLocalRun: (id, index) => this.deps.worker.cancelRunning(id, index),
        announce: (result) => this.deps.ledger.announce(result),
        now: this.deps.now,
      },
      username,
      batchId,
      options,
    );
  }

  /**
   * Resolves with the batch once every task has ended. Works with any dispatcher: it listens for
   * `batch:completed` and re-reads storage so a completion in another process is also seen.
   */
  async waitFor(username: string, batchId: string, options: { signal?: AbortSignal; recheckMs?: number } = {}): Promise<BatchRecord> {
    const first = await this.status(username, batchId);
    if (first.status === 'completed') return first;
    return new Promise<BatchRecord>((resolve, reject) => {
      const check = async () => {
        try {
          const batch = await this.status(username, batchId);
          if (batch.status === 'completed') finish(() => resolve(batch));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const onCompleted = (event: { batchId: string }) => {
        if (event.batchId === batchId) void check();
      };
      const onAbort = () => finish(() => reject(options.signal!.reason));
      const timer = setInterval(check, options.recheckMs ?? 1000);
      const finish = (settle: () => void) => {
        clearInterval(timer);
        this.deps.events.off('batch:completed', onCompleted);
        options.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      this.deps.events.on('batch:completed', onCompleted);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Queues every open task found in storage: used on start to finish what a previous process left.
   * With `takeOverProcessing`, a `processing` task is taken over at once (a single-process host
   * knows its previous run is dead); without, only once its lease has run out.
   */
  async recover(options: { takeOverProcessing: boolean }): Promise<number> {
    const open = await this.deps.storage.listOpenTasks(100_000);
    const jobs: RecoveryJob[] = open.map((t) => ({
      batchId: t.batchId,
      index: t.index,
      username: t.username,
      attempt: t.attempts,
      ...(t.status === 'processing' && options.takeOverProcessing ? { takeOverAttempts: t.attempts } : {}),
    }));
    await this.deps.dispatcher.enqueue(jobs);
    return jobs.length;
  }

  async #checkRate(username: string): Promise<void> {
    if (!this.deps.rateLimiter) return;
    const decision = await this.deps.rateLimiter.take(username, 1);
    if (!decision.allowed) throw new RateLimitedError(undefined, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
}
