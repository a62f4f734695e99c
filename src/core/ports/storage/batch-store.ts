import type { BatchRecord, BatchSummary, BatchTask, TaskResult } from '../../schemas/records.js';
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
}

/** The outcome of a transition that ended a task. */
export interface TaskEndResult {
  task: BatchTask;
  batch: BatchSummary;
  /** True when this transition ended the last open task of the batch. */
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
 */
export interface BatchStore {
  /** Charges and creates the batch in one step (an id that exists: `ConflictError` `id_taken`, nothing charged); a charge key applied before writes nothing and returns the batch it paid for. */
  createBatch(batch: BatchRecord, charge: LedgerEntryInput, now: number): Promise<LedgerWriteResult & { batch: BatchRecord }>;
  /** The batch with every task, field for field as stored, or null. */
  getBatch(batchId: string): Promise<BatchRecord | null>;
  /** One task of a batch, or null for an unknown batch or index. */
  getTask(batchId: string, index: number): Promise<BatchTask | null>;
  /** The user's batches as summaries (no tasks), newest first, paged with the cursor it returns. */
  listBatches(username: string, page: PageRequest): Promise<Page<BatchSummary>>;
  /** Compare-and-set to `processing`, attempts + 1, progress at least 10, batch out of `pending`; null when the task is not as expected. */
  claimTask(batchId: string, index: number, claim: TaskClaim): Promise<BatchTask | null>;
  /** Raises progress (never lowers it, at most 99), saves the request id and lease while the task is `processing` with `attempts`; false otherwise. */
  updateTaskProgress(
    batchId: string,
    index: number,
    attempts: number,
    update: { progress: number; providerRequestId?: string | null; leaseExpiresAt?: number; now: number },
  ): Promise<boolean>;
  /** Compare-and-set `processing`/`attempts` → `completed` (progress 100, result stored), counters bumped once; null when not that claim. */
  completeTask(batchId: string, index: number, attempts: number, result: TaskResult, now: number): Promise<TaskEndResult | null>;
  /** Compare-and-set `processing`/`attempts` → `failed`, keeping the progress, counters bumped once; null when not that claim. */
  failTask(batchId: string, index: number, attempts: number, error: string, now: number): Promise<TaskEndResult | null>;
  /** Charges and resets a `failed` task to `pending` (progress 0, result, error, request id cleared; batch reopened); a key applied before replays with the task as it is now; not failed: `ConflictError` `task_not_failed`. */
  retryTask(batchId: string, index: number, charge: LedgerEntryInput, now: number): Promise<LedgerWriteResult & { task: BatchTask }>;
  /** Tasks that are `pending` or `processing`, oldest batch first, at most `limit`, for recovery after a restart. */
  listOpenTasks(limit: number): Promise<OpenTaskRef[]>;
}
