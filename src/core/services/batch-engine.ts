import { isImageGenError } from '../errors/image-gen-error.js';
import { NotFoundError } from '../errors/not-found-error.js';
import type { EngineEventBus } from '../events.js';
import { assertUsername, batchId as makeBatchId, taskId as makeTaskId, type IdClock } from '../ids.js';
import type { Dispatcher, TaskJob, TaskRunOutcome } from '../ports/dispatcher.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import type { LedgerWriteResult, Page, PageRequest, StorageAdapter } from '../ports/storage-adapter.js';
import { toTaskParams } from '../schemas/params.js';
import { parseOrThrow } from '../schemas/parse.js';
import type { BatchRecord, BatchSummary, BatchTask } from '../schemas/records.js';
import { batchGenerateRequestSchema } from '../schemas/requests.js';
import type { CreditLedger } from './credit-ledger.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PROGRESS, runningProgress } from '../policy/progress.js';
import { moderatePrompts } from './moderation.js';
import { assertProviderSupports } from './provider-support.js';
import { ShutdownSignal, type GenerationPipeline } from './generation-pipeline.js';
import type { PromptModerator } from '../options.js';

/** A job that may also take over a task left `processing` by a dead worker. */
export interface RecoveryJob extends TaskJob {
  /** Take over the task if it is still `processing` with this claim number. */
  takeOverAttempts?: number;
}

export interface BatchEngineDeps {
  storage: StorageAdapter;
  ledger: CreditLedger;
  events: EngineEventBus;
  dispatcher: Dispatcher;
  pipeline: GenerationPipeline;
  pricePerTask: number;
  maxTasksPerBatch: number;
  /** How long a claim holds without being renewed; a running task renews it every third of that. */
  leaseMs: number;
  rateLimiter: RateLimiter | undefined;
  progressWriteIntervalMs: number;
  moderatePrompt: PromptModerator | undefined;
  clock: IdClock;
  now: () => number;
}

export interface SubmitOptions {
  /** Same key + same body replays the first submit without charging again. */
  idempotencyKey?: string;
  /** Text that must match on replay (the HTTP layer passes a hash of the body). */
  fingerprint?: string;
}

export interface SubmitResult {
  batch: BatchRecord;
  creditsDeducted: number;
  creditsRemaining: number;
  replayed: boolean;
}

/**
 * Batches: submit (charged in full, atomically with creation), run each task through the
 * dispatcher with progress 0/10/30–90/100, retry failed tasks (charged again), status and list.
 */
export class BatchEngine {
  readonly #schema;
  readonly #leases: LeaseKeeper;
  constructor(private readonly deps: BatchEngineDeps) {
    this.#schema = batchGenerateRequestSchema(deps.maxTasksPerBatch);
    this.#leases = new LeaseKeeper(deps.storage, deps.leaseMs, deps.now);
  }

  /** Validates, charges and creates a batch, then queues its tasks. Bad input charges nothing. */
  async submit(username: string, body: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    assertUsername(username);
    const request = parseOrThrow(this.#schema, body);
    const prompts = request.prompts ?? Array.from({ length: request.count! }, () => request.prompt!);
    await moderatePrompts(this.deps.moderatePrompt, prompts, request.prompts ? 'prompts' : 'prompt', username);
    const params = toTaskParams(request);
    assertProviderSupports(this.deps.pipeline.provider, { outputFormat: params.output_format });
    const cost = prompts.length * this.deps.pricePerTask;
    await this.#checkRate(username);

    for (let tries = 0; ; tries++) {
      const timestamp = this.deps.clock.next();
      const id = makeBatchId(username, timestamp);
      const record: BatchRecord = {
        batchId: id,
        username,
        tasks: prompts.map((prompt, index) => newTask(id, index, prompt, params, timestamp)),
        totalTasks: prompts.length,
        completedTasks: 0,
        failedTasks: 0,
        status: 'pending',
        createdAt: timestamp,
        updatedAt: timestamp,
      };
      try {
        const result = await this.deps.storage.createBatch(
          record,
          {
            username,
            kind: 'charge',
            amount: cost === 0 ? 0 : -cost,
            idempotencyKey: options.idempotencyKey ?? `charge:${id}`,
            reference: id,
            reason: `batch of ${prompts.length}`,
            fingerprint: options.fingerprint ?? null,
          },
          this.deps.now(),
        );
        this.deps.ledger.announce(result);
        if (!result.replayed) await this.#enqueue(result.batch);
        return {
          batch: result.batch,
          creditsDeducted: -result.entry.amount,
          creditsRemaining: result.balance,
          replayed: result.replayed,
        };
      } catch (error) {
        if (isImageGenError(error) && error.code === 'conflict' && error.details.reason === 'id_taken' && tries < 20) {
          this.deps.clock.skipPast(timestamp);
          continue;
        }
        throw error;
      }
    }
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
    options: SubmitOptions = {},
  ): Promise<{ task: BatchTask; creditsDeducted: number; creditsRemaining: number; replayed: boolean }> {
    const batch = await this.status(username, batchId);
    const task = batch.tasks[index];
    if (!task) throw new NotFoundError('Task', makeTaskId(batchId, index));
    await this.#checkRate(username);
    const result: LedgerWriteResult & { task: BatchTask } = await this.deps.storage.retryTask(
      batchId,
      index,
      {
        charge: {
          username,
          kind: 'charge',
          amount: this.deps.pricePerTask === 0 ? 0 : -this.deps.pricePerTask,
          idempotencyKey: options.idempotencyKey ?? `retry:${task.taskId}:${task.attempts}`,
          reference: task.taskId,
          reason: 'retry of a failed task',
          fingerprint: options.fingerprint ?? null,
        },
        progress: PROGRESS.queued,
      },
      this.deps.now(),
    );
    this.deps.ledger.announce(result);
    if (!result.replayed) await this.deps.dispatcher.enqueue([{ batchId, index, username, attempt: result.task.attempts }]);
    return {
      task: result.task,
      creditsDeducted: -result.entry.amount,
      creditsRemaining: result.balance,
      replayed: result.replayed,
    };
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

  /**
   * The dispatcher's runner: claims the task (compare-and-set) and runs it to its end. A task held
   * by a live lease answers `busy` (a distributed dispatcher looks again when the lease ends).
   */
  readonly runJob = async (job: RecoveryJob): Promise<TaskRunOutcome> => {
    const claimed = (await this.#claimPending(job)) ?? (await this.#takeOver(job));
    if (!claimed) return DONE;
    if ('retryAt' in claimed) return { state: 'busy', retryAt: claimed.retryAt };
    return this.#execute(claimed, job.batchId, job.index, job.username);
  };

  async #checkRate(username: string): Promise<void> {
    if (!this.deps.rateLimiter) return;
    const decision = await this.deps.rateLimiter.take(username, 1);
    if (!decision.allowed) throw new RateLimitedError(undefined, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }

  /** The common case first: one compare-and-set, no read. */
  #claimPending(job: RecoveryJob): Promise<BatchTask | null> {
    const at = this.deps.now();
    return this.deps.storage.claimTask(job.batchId, job.index, {
      expect: { status: 'pending' },
      now: at,
      leaseExpiresAt: at + this.deps.leaseMs,
      progress: PROGRESS.received,
    });
  }

  /** Takes over a `processing` task whose worker died: named by recovery, or its lease ran out. */
  async #takeOver(job: RecoveryJob): Promise<BatchTask | { retryAt: number } | null> {
    const task = await this.deps.storage.getTask(job.batchId, job.index);
    const at = this.deps.now();
    if (task?.status !== 'processing') return null;
    const expired = task.leaseExpiresAt !== null && task.leaseExpiresAt <= at;
    if (job.takeOverAttempts !== task.attempts && !expired) return { retryAt: task.leaseExpiresAt ?? at + this.deps.leaseMs };
    return this.deps.storage.claimTask(job.batchId, job.index, {
      expect: { status: 'processing', attempts: task.attempts },
      now: at,
      leaseExpiresAt: at + this.deps.leaseMs,
      progress: PROGRESS.received,
    });
  }

  async #execute(task: BatchTask, batchId: string, index: number, username: string): Promise<TaskRunOutcome> {
    const { storage, events, now } = this.deps;
    const attempt = task.attempts;
    const base = { batchId, taskId: task.taskId, index, username, attempt };
    events.emit('task:progress', { ...base, status: 'processing', progress: task.progress });
    let lastWrite = now();
    let lastProgress = task.progress;
    let pendingWrite: Promise<unknown> = Promise.resolve();
    const lease = () => now() + this.deps.leaseMs;
    // The lease is the proof of life other workers go by: renewed while the run lasts; the run
    // stops when its claim was lost (another worker took the task over after a stall).
    let stop: ((reason: Error) => void) | undefined;
    const held = this.#leases.hold(batchId, index, attempt, task.progress, () => stop?.(new LeaseLost()));

    try {
      const { requestId, url } = await this.deps.pipeline.generate({
        input: {
          prompt: task.prompt,
          aspectRatio: task.params.aspect_ratio,
          seed: task.params.seed,
          outputFormat: task.params.output_format,
        },
        owner: username,
        imageKey: `${task.taskId.replaceAll(':', '_')}-${attempt}`,
        resumeRequestId: task.providerRequestId,
        onStart: (abort) => {
          stop = abort;
        },
        onRequestId: async (providerRequestId) => {
          const at = now();
          lastWrite = at;
          await storage.updateTaskProgress(batchId, index, attempt, {
            progress: PROGRESS.submitted,
            providerRequestId,
            leaseExpiresAt: lease(),
            now: at,
          });
        },
        onProgress: (progress) => {
          held.setProgress(progress);
          lastProgress = progress;
          events.emit('task:progress', { ...base, status: 'processing', progress });
          const at = now();
          if (at - lastWrite < this.deps.progressWriteIntervalMs) return;
          lastWrite = at;
          pendingWrite = storage
            .updateTaskProgress(batchId, index, attempt, { progress: runningProgress(progress), leaseExpiresAt: lease(), now: at })
            .catch(() => {});
        },
      });
      await pendingWrite;
      held.release();
      const ended = await storage.completeTask(
        batchId,
        index,
        attempt,
        { result: { imageUrl: url, requestId }, progress: PROGRESS.done },
        now(),
      );
      if (!ended) return DONE;
      events.emit('task:progress', { ...base, status: 'completed', progress: PROGRESS.done });
      events.emit('task:completed', { ...base, result: ended.task.result! });
      this.#announceBatch(ended.batch, username, ended.batchCompleted);
      return DONE;
    } catch (error) {
      held.release();
      await pendingWrite;
      if (error instanceof LeaseLost) return DONE;
      if (isShutdown(error)) {
        // Hand the task on: the next worker to get the job takes it over at once and resumes the
        // provider request saved above instead of paying for a new one.
        await storage
          .updateTaskProgress(batchId, index, attempt, { progress: runningProgress(lastProgress), leaseExpiresAt: now(), now: now() })
          .catch(() => false);
        return { state: 'interrupted' };
      }
      const message = isImageGenError(error) ? error.message : 'The task failed unexpectedly';
      const ended = await storage.failTask(batchId, index, attempt, message, now());
      if (!ended) return DONE;
      events.emit('task:failed', { ...base, error: message, progress: ended.task.progress });
      this.#announceBatch(ended.batch, username, ended.batchCompleted);
      return DONE;
    } finally {
      held.release();
    }
  }

  #announceBatch(batch: BatchSummary, username: string, completed: boolean): void {
    if (!completed) return;
    this.deps.events.emit('batch:completed', {
      batchId: batch.batchId,
      username,
      totalTasks: batch.totalTasks,
      completedTasks: batch.completedTasks,
      failedTasks: batch.failedTasks,
    });
  }

  async #enqueue(batch: BatchRecord): Promise<void> {
    await this.deps.dispatcher.enqueue(
      batch.tasks.map((_, index) => ({ batchId: batch.batchId, index, username: batch.username, attempt: 0 })),
    );
  }
}

function newTask(batchId: string, index: number, prompt: string, params: BatchTask['params'], createdAt: number): BatchTask {
  return {
    taskId: makeTaskId(batchId, index),
    prompt,
    params: { ...params },
    status: 'pending',
    progress: PROGRESS.queued,
    result: null,
    error: null,
    createdAt,
    attempts: 0,
    startedAt: null,
    completedAt: null,
    providerRequestId: null,
    leaseExpiresAt: null,
  };
}

const DONE: TaskRunOutcome = { state: 'done' };

/**
 * Aborts a run whose claim another worker took over: it must not write anything more. A kind of
 * ShutdownSignal, so the runner leaves the provider request running: the new holder resumes it.
 */
class LeaseLost extends ShutdownSignal {
  constructor() {
    super();
    this.message = 'Another worker took this task over';
    this.name = 'LeaseLost';
  }
}

function isShutdown(error: unknown): boolean {
  return error instanceof ShutdownSignal;
}
