import type { LedgerEntryInput, TaskRefund } from '../ports/storage-adapter.js';
import type { BatchRecord, BatchSummary, BatchTask } from '../schemas/records.js';

/** The `list` form of a batch: everything but `tasks` and `username`. */
export function summaryOf(batch: BatchRecord): BatchSummary {
  return {
    batchId: batch.batchId,
    totalTasks: batch.totalTasks,
    completedTasks: batch.completedTasks,
    failedTasks: batch.failedTasks,
    cancelledTasks: batch.cancelledTasks,
    status: batch.status,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

/** A deep copy of a task. Field by field (every field is required, so the compiler names a new one): several per task run. */
export function copyTask(task: BatchTask): BatchTask {
  const { params, result } = task;
  return {
    taskId: task.taskId,
    prompt: task.prompt,
    params: { aspect_ratio: params.aspect_ratio, seed: params.seed, output_format: params.output_format },
    status: task.status,
    progress: task.progress,
    result: result ? { imageUrl: result.imageUrl, requestId: result.requestId } : null,
    error: task.error,
    createdAt: task.createdAt,
    attempts: task.attempts,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    providerRequestId: task.providerRequestId,
    leaseExpiresAt: task.leaseExpiresAt,
  };
}

export function copyBatch(batch: BatchRecord): BatchRecord {
  return {
    batchId: batch.batchId,
    username: batch.username,
    tasks: batch.tasks.map(copyTask),
    totalTasks: batch.totalTasks,
    completedTasks: batch.completedTasks,
    failedTasks: batch.failedTasks,
    cancelledTasks: batch.cancelledTasks,
    status: batch.status,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

/** Clamps a page size to 1–100, 20 by default. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 20;
  return Math.min(100, Math.max(1, Math.floor(limit)));
}

/** Parses a numeric cursor; null when absent, throws nothing (a bad cursor reads as the start). */
export function numericCursor(cursor: string | null | undefined): number | null {
  if (!cursor) return null;
  const n = Number(cursor);
  return Number.isSafeInteger(n) ? n : null;
}

/** True once every task has ended: completed, failed or cancelled. */
export function allTasksEnded(counts: Pick<BatchSummary, 'totalTasks' | 'completedTasks' | 'failedTasks' | 'cancelledTasks'>): boolean {
  return counts.completedTasks + counts.failedTasks + counts.cancelledTasks >= counts.totalTasks;
}

/** The idempotency key of a refund written with a task's transition: one per task and claim number. */
export const taskRefundKey = (keyPrefix: string, taskId: string, attempts: number): string => `${keyPrefix}${taskId}:${attempts}`;

/**
 * The journal entry of a {@link TaskRefund} for one task and claim number. `chargeKey` is the key
 * of the charge that paid for the task's current attempt (its retry's, else its batch's): the
 * refund gives back to what that charge drew. Null (a batch stored before storage kept it): the
 * refund joins the default pool.
 */
export function taskRefundEntry(
  refund: TaskRefund,
  username: string,
  taskId: string,
  attempts: number,
  chargeKey: string | null,
): LedgerEntryInput {
  return {
    username,
    kind: 'refund',
    amount: refund.amount,
    idempotencyKey: taskRefundKey(refund.keyPrefix, taskId, attempts),
    reference: taskId,
    reason: refund.reason,
    chargeKey,
  };
}

/** The key of the charge that paid for a task's current attempt: its last retry's, else its batch's. */
export const taskChargeKey = (retryChargeKey: string | null | undefined, batchChargeKey: string | null | undefined): string | null =>
  retryChargeKey ?? batchChargeKey ?? null;

/** The draws a write gives back to or stores: a refund's `chargeKey` (else its reference), a debit's own key. */
export function drawsKeyOf(input: LedgerEntryInput): string | null {
  if (input.amount < 0) return input.idempotencyKey;
  return input.kind === 'refund' ? (input.chargeKey ?? input.reference ?? null) : null;
}
