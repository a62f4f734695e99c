import type { BatchRecord, BatchSummary, BatchTask, LedgerEntry, TaskResult } from '../../schemas/records.js';
import type { LedgerEntryInput, LedgerWriteResult, Page, PageRequest } from './types.js';

/** What a task must look like for a claim to succeed. */
export type ClaimExpectation =
  | { status: 'pending' }
  /** Take over a task another worker claimed (it died or its lease ran out): the claim number must match. */
  | { status: 'processing'; attempts: number };

export interface TaskClaim {
  expect: ClaimExpectation;
  now: number;
  leaseExpiresAt: number;
  /** The claimed task's progress becomes the higher of its own and this (core passes `PROGRESS.received`). */
  progress: number;
}

/** The end of a task that completed: its result and the progress it shows from now on. */
export interface TaskCompletion {
  result: TaskResult;
  /** Stored as given (core passes `PROGRESS.done`). */
  progress: number;
}

/** A retry of a failed task: its charge and the progress it shows while queued again. */
export interface TaskRetry {
  charge: LedgerEntryInput;
  /** Stored as given (core passes `PROGRESS.queued`). */
  progress: number;
}

/** The outcome of a transition that ended a task. */
export interface TaskEndResult {
  task: BatchTask;
  batch: BatchSummary;
  /** True when this transition ended the last open task of the batch. */
  batchCompleted: boolean;
  /** The refund written with a failure that asked for one, and the owner's balance after it. */
  refund?: LedgerWriteResult | null;
}

/**
 * A refund written in the same step as a task's transition: one `refund` entry for the batch's
 * owner, key `{keyPrefix}{taskId}:{attempts}` (so one per task and claim number; a key applied
 * before writes nothing again), reference the task id.
 *
 * It goes back to the grants drawn by the charge that paid for the task's current attempt: the
 * charge of its last retry when it was retried, else its batch's charge (storage keeps both keys).
 * A batch's charge draws for all its tasks at once; each task refund gives back from the end of
 * that charge's draws (the last grant drawn first, as `planRefund` says), and the refunds of one
 * charge together never give a grant more than the charge took from it; beyond what the charge
 * drew from grants, credits join the default pool. Credits given back to a grant that has expired
 * since expire at once, with their own `expire` entry.
 */
export interface TaskRefund {
  /** Credits given back, a whole number; 0 writes no entry. */
  amount: number;
  /** Start of the key, e.g. `refund:cancel:`; the adapter appends `{taskId}:{attempts}`. */
  keyPrefix: string;
  reason: string;
}

/** Ceilings {@link BatchStore.createBatch} checks in the step that charges. */
export interface BatchLimits {
  /** The owner's `pending` and `processing` tasks, the new batch's included, may be at most this many. Absent: no ceiling. */
  maxTasksWaiting?: number;
}

/** What {@link BatchStore.cancelTasks} cancels and what it gives back. */
export interface TaskCancellation {
  /** Only this task; every open task of the batch when absent. */
  taskIndex?: number;
  /** Written for each `pending` task cancelled; null: none. */
  refundPending: TaskRefund | null;
  /** Written for each `processing` task cancelled; null: none (the provider may have been paid). */
  refundProcessing: TaskRefund | null;
  now: number;
}

/** One task a cancel moved to `cancelled`. */
export interface CancelledTask {
  index: number;
  /** The status it had just before. */
  was: 'pending' | 'processing';
  task: BatchTask;
  /** The refund entry written (or found under its key), null when none was asked for. */
  refund: LedgerEntry | null;
}

export interface CancelTasksResult {
  /** The batch after the step, with every task. */
  batch: BatchRecord;
  /** The tasks this call cancelled, by index; empty when none in scope was open. */
  cancelled: CancelledTask[];
  /** The owner's balance after the step. */
  balance: number;
  /** True when this call ended the last open task of the batch. */
  batchCompleted: boolean;
}

/** A task that is not ended, as listed for recovery after a restart. */
export interface OpenTaskRef {
  batchId: string;
  username: string;
  index: number;
  status: 'pending' | 'processing';
  attempts: number;
  leaseExpiresAt: number | null;
}

/**
 * Batches and their tasks. Every task transition is a compare-and-set on the task's status and
 * claim number (`attempts`), so of concurrent workers exactly one wins and a worker whose claim
 * was taken over changes nothing.
 *
 * Progress is core's: an adapter stores the values it is given and computes none, except that a
 * running task's progress never goes down. Core keeps it below 100 until `completeTask`.
 */
export interface BatchStore {
  /**
   * Charges and creates the batch in one step (an id that exists: `ConflictError` `id_taken`, nothing charged); a charge key applied
   * before writes nothing and returns the batch it paid for. With `limits.maxTasksWaiting`, the same step counts the owner's tasks
   * that are `pending` or `processing` (in every process: the count is in storage) and, when they plus the batch's would be more,
   * throws `RateLimitedError` (see `tooManyTasksWaiting`), charging and storing nothing.
   */
  createBatch(
    batch: BatchRecord,
    charge: LedgerEntryInput,
    now: number,
    limits?: BatchLimits,
  ): Promise<LedgerWriteResult & { batch: BatchRecord }>;
  /** The batch with every task, field for field as stored, or null. */
  getBatch(batchId: string): Promise<BatchRecord | null>;
  /** One task of a batch, or null for an unknown batch or index. */
  getTask(batchId: string, index: number): Promise<BatchTask | null>;
  /** The user's batches as summaries (no tasks), newest first, paged with the cursor it returns. */
  listBatches(username: string, page: PageRequest): Promise<Page<BatchSummary>>;
  /** Compare-and-set to `processing`, attempts + 1, progress max(current, `claim.progress`), batch out of `pending`; null when the task is not as expected. */
  claimTask(batchId: string, index: number, claim: TaskClaim): Promise<BatchTask | null>;
  /** Raises progress to `update.progress` when higher (never lowers it, stores the value as given), saves the request id and lease while the task is `processing` with `attempts`; false otherwise. */
  updateTaskProgress(
    batchId: string,
    index: number,
    attempts: number,
    update: { progress: number; providerRequestId?: string | null; leaseExpiresAt?: number; now: number },
  ): Promise<boolean>;
  /** Compare-and-set `processing`/`attempts` → `completed` with the result and progress given, counters bumped once; null when not that claim. */
  completeTask(batchId: string, index: number, attempts: number, completion: TaskCompletion, now: number): Promise<TaskEndResult | null>;
  /**
   * Compare-and-set `processing`/`attempts` → `failed`, keeping the progress, counters bumped once; null when not that claim.
   * With `refund`, its entry is written in the same step (one key per claim number: each failed attempt is refunded once).
   */
  failTask(
    batchId: string,
    index: number,
    attempts: number,
    error: string,
    now: number,
    refund?: TaskRefund | null,
  ): Promise<TaskEndResult | null>;
  /** Charges and resets a `failed` task to `pending` with the progress given (result, error, request id cleared; batch reopened); a charge key applied before writes nothing and returns the task as it is now; not failed: `ConflictError` `task_not_failed`. */
  retryTask(batchId: string, index: number, retry: TaskRetry, now: number): Promise<LedgerWriteResult & { task: BatchTask }>;
  /**
   * In one step, every open task in scope (`pending` or `processing`, any claim number) → `cancelled`
   * (progress and request id kept, lease cleared, `completedAt` now), `cancelledTasks` bumped once
   * each, the batch `completed` when no task is left open, and each refund of `cancellation`
   * written with it. A task already ended is left as it is, so a second call cancels nothing and
   * refunds nothing; a worker's later writes to a cancelled task match nothing (compare-and-set).
   * Null for an unknown batch; an index outside the batch cancels nothing.
   */
  cancelTasks(batchId: string, cancellation: TaskCancellation): Promise<CancelTasksResult | null>;
  /** Tasks that are `pending` or `processing`, oldest batch first, at most `limit`, for recovery after a restart. */
  listOpenTasks(limit: number): Promise<OpenTaskRef[]>;
}
