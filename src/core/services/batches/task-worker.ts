import { isImageGenError } from '../../errors/image-gen-error.js';
import type { EngineEventBus, TaskProgressEvent } from '../../events.js';
import type { TaskJob, TaskRunHooks, TaskRunOutcome, TaskRunReport } from '../../ports/dispatcher.js';
import type { LedgerWriteResult, StorageAdapter, TaskRefund } from '../../ports/storage-adapter.js';
import type { BatchSummary, BatchTask } from '../../schemas/records.js';
import { LeaseKeeper, LeaseLost } from './lease-keeper.js';
import { TaskCancelled } from './task-cancelled.js';
import { PROGRESS, runningProgress } from '../../policy/progress.js';
import { ShutdownSignal, type GenerationPipeline } from '../generation-pipeline.js';
import type { Timers } from '../../util/timers.js';

/** A job that may also take over a task left `processing` by a dead worker. */
export interface RecoveryJob extends TaskJob {
  /** Take over the task if it is still `processing` with this claim number. */
  takeOverAttempts?: number;
}

export interface TaskWorkerDeps {
  storage: StorageAdapter;
  events: EngineEventBus;
  pipeline: GenerationPipeline;
  /** How long a claim holds without being renewed; a running task renews it every third of that. */
  leaseMs: number;
  progressWriteIntervalMs: number;
  /** Written with each failure when the host refunds failed tasks (`refundFailedBatchTasks`); null: none. */
  refundFailed: TaskRefund | null;
  /** Emits `credits:changed` for a refund written with a failure. */
  announce: (result: LedgerWriteResult) => void;
  now: () => number;
  /** What leases are renewed with. @default the runtime's timers */
  timers?: Timers;
}

/**
 * Runs batch tasks: claims a task (compare-and-set), holds its lease while it runs, takes over
 * a task whose worker died, and ends it as completed or failed (or hands it on at shutdown).
 */
export class TaskWorker {
  readonly #leases: LeaseKeeper;
  constructor(private readonly deps: TaskWorkerDeps) {
    this.#leases = new LeaseKeeper(deps.storage, deps.leaseMs, deps.now, deps.timers);
  }

  /**
   * The dispatcher's runner: claims the task (compare-and-set) and runs it to its end. A task held
   * by a live lease answers `busy` (a distributed dispatcher looks again when the lease ends).
   */
  readonly runJob = async (job: RecoveryJob, hooks?: TaskRunHooks): Promise<TaskRunOutcome> => {
    const claimed = (await this.#claimPending(job)) ?? (await this.#takeOver(job));
    if (!claimed) return DONE;
    if ('retryAt' in claimed) return { state: 'busy', retryAt: claimed.retryAt };
    return this.#execute(claimed, job.batchId, job.index, job.username, hooks?.releaseSlot);
  };

  /** Stops this process's run of a task just cancelled here, before the next lease renewal would. */
  cancelRunning(batchId: string, index: number): void {
    this.#leases.cancel(batchId, index);
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
    // A run of it in this very process (claimed after the recovery listed it): not a dead worker's,
    // never taken over, whatever its lease says; busy like any task under a live lease.
    if (this.#leases.holds(job.batchId, job.index)) return { retryAt: task.leaseExpiresAt ?? at + this.deps.leaseMs };
    const expired = task.leaseExpiresAt !== null && task.leaseExpiresAt <= at;
    if (job.takeOverAttempts !== task.attempts && !expired) return { retryAt: task.leaseExpiresAt ?? at + this.deps.leaseMs };
    return this.deps.storage.claimTask(job.batchId, job.index, {
      expect: { status: 'processing', attempts: task.attempts },
      now: at,
      leaseExpiresAt: at + this.deps.leaseMs,
      progress: PROGRESS.received,
    });
  }

  async #execute(task: BatchTask, batchId: string, index: number, username: string, releaseSlot?: () => void): Promise<TaskRunOutcome> {
    const { storage, events, now } = this.deps;
    const attempt = task.attempts;
    const taskId = task.taskId;
    // Payloads are built field by field (not spread from a shared base): a few of them per task.
    const progressEvent = (status: TaskProgressEvent['status'], progress: number): TaskProgressEvent => ({
      batchId,
      taskId,
      index,
      username,
      attempt,
      status,
      progress,
    });
    events.emit('task:progress', progressEvent('processing', task.progress));
    let lastWrite = now();
    let lastProgress = task.progress;
    /** Progress writes not yet settled (each swallows its own failure). */
    let pendingWrite: Promise<unknown> | null = null;
    let writeFailure: unknown = null;
    // Progress events wait behind the request id's write while it is in flight, so that progress
    // 30 still means "the provider's request id is saved" and events keep their order.
    let eventsAfter: Promise<void> | null = null;
    const emitProgress = (progress: number): void => {
      if (eventsAfter === null) events.emit('task:progress', progressEvent('processing', progress));
      else eventsAfter = eventsAfter.then(() => void events.emit('task:progress', progressEvent('processing', progress)));
    };
    const track = (write: Promise<unknown>): void => {
      pendingWrite = pendingWrite === null ? write : Promise.all([pendingWrite, write]);
    };
    const lease = () => now() + this.deps.leaseMs;
    // The lease is the proof of life other workers go by: renewed while the run lasts; the run
    // stops when its claim was lost (another worker took the task over after a stall).
    const held = this.#leases.hold(batchId, index, attempt, task.progress);
    let providerRequestId = task.providerRequestId;
    const ran = (outcome: TaskRunReport['outcome']): TaskRunOutcome => ({
      state: 'done',
      ran: { attempt, outcome, requestId: providerRequestId },
    });

    try {
      const { requestId, url } = await this.deps.pipeline.generate({
        input: {
          prompt: task.prompt,
          aspectRatio: task.params.aspect_ratio,
          seed: task.params.seed,
          outputFormat: task.params.output_format,
        },
        owner: username,
        imageKey: `${taskId.replaceAll(':', '_')}-${attempt}`,
        resumeRequestId: task.providerRequestId,
        onStart: held.stopsWith,
        // Saved while the polls go on rather than before them: the end of the run waits for it, so a
        // later write never overtakes it, and a crash before it commits is the same documented
        // window (a provider answer not yet saved) whether or not the first poll waited.
        onRequestId: (id) => {
          providerRequestId = id;
          const at = now();
          lastWrite = at;
          const saved = storage
            .updateTaskProgress(batchId, index, attempt, {
              progress: PROGRESS.submitted,
              providerRequestId: id,
              leaseExpiresAt: lease(),
              now: at,
            })
            .then(
              () => undefined,
              (error: unknown) => {
                writeFailure ??= error;
              },
            );
          const queued = eventsAfter === null ? saved : eventsAfter.then(() => saved);
          eventsAfter = queued;
          track(saved);
          void queued.then(() => {
            if (eventsAfter === queued) eventsAfter = null;
          });
          return RESOLVED;
        },
        onProgress: (reported) => {
          // A provider's hint may go back, and a resumed run counts from `submitted` again: the
          // task never shows less than it has shown (its claim starts at the stored progress).
          const progress = Math.max(reported, lastProgress);
          held.setProgress(progress);
          lastProgress = progress;
          emitProgress(progress);
          const at = now();
          if (at - lastWrite < this.deps.progressWriteIntervalMs) return;
          lastWrite = at;
          track(
            storage
              .updateTaskProgress(batchId, index, attempt, { progress: runningProgress(progress), leaseExpiresAt: lease(), now: at })
              .catch(() => {}),
          );
        },
      });
      if (pendingWrite !== null) await pendingWrite;
      if (eventsAfter !== null) await eventsAfter;
      if (writeFailure !== null) throw writeFailure;
      held.release();
      releaseSlot?.();
      const ended = await storage.completeTask(
        batchId,
        index,
        attempt,
        { result: { imageUrl: url, requestId }, progress: PROGRESS.done },
        now(),
      );
      if (!ended) return ran('lost');
      events.emit('task:progress', progressEvent('completed', PROGRESS.done));
      events.emit('task:completed', { batchId, taskId, index, username, attempt, result: ended.task.result! });
      this.#announceBatch(ended.batch, username, ended.batchCompleted);
      return ran('completed');
    } catch (error) {
      held.release();
      if (pendingWrite !== null) await pendingWrite;
      if (eventsAfter !== null) await eventsAfter;
      // Cancelled: the cancel wrote the final state (and its refund); a lost claim is another worker's.
      if (error instanceof LeaseLost) return ran('lost');
      if (error instanceof TaskCancelled) return ran('cancelled');
      if (error instanceof ShutdownSignal) {
        // Hand the task on: the next worker to get the job takes it over at once and resumes the
        // provider request saved above instead of paying for a new one.
        await storage
          .updateTaskProgress(batchId, index, attempt, { progress: runningProgress(lastProgress), leaseExpiresAt: now(), now: now() })
          .catch(() => false);
        return { state: 'interrupted' };
      }
      const message = isImageGenError(error) ? error.message : 'The task failed unexpectedly';
      const ended = await storage.failTask(batchId, index, attempt, message, now(), this.deps.refundFailed);
      if (!ended) return ran('lost');
      if (ended.refund) this.deps.announce(ended.refund);
      events.emit('task:failed', { batchId, taskId, index, username, attempt, error: message, progress: ended.task.progress });
      this.#announceBatch(ended.batch, username, ended.batchCompleted);
      return ran('failed');
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
      cancelledTasks: batch.cancelledTasks,
    });
  }
}

const DONE: TaskRunOutcome = { state: 'done' };
const RESOLVED: Promise<void> = Promise.resolve();

/** The key prefix of failed-attempt refunds (`refundFailedBatchTasks`); the storage appends `{taskId}:{attempts}`. */
export const FAILED_REFUND_PREFIX = 'refund:failed:';
