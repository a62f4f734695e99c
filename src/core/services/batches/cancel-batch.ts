import { ConflictError } from '../../errors/conflict-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { EngineEventBus } from '../../events.js';
import { taskId as makeTaskId } from '../../ids.js';
import type { LedgerWriteResult, StorageAdapter, TaskRefund } from '../../ports/storage-adapter.js';
import type { BatchRecord } from '../../schemas/records.js';
import { taskRefundKey } from '../../storage-kit/records.js';

/** The key prefix of cancel refunds; the storage appends `{taskId}:{attempts}`. */
export const CANCEL_REFUND_PREFIX = 'refund:cancel:';

export interface CancelDeps {
  storage: StorageAdapter;
  events: EngineEventBus;
  pricePerTask: number;
  /** Refund a task that was running too (the provider may have been paid already). */
  refundCancelledRunning: boolean;
  /** Stops this process's run of a task at once (other processes see it at their next lease renewal). */
  stopLocalRun: (batchId: string, index: number) => void;
  /** Emits `credits:changed` for a refund. */
  announce: (result: LedgerWriteResult) => void;
  now: () => number;
}

/** What a cancel answers: the same for a repeated cancel as for the first. */
export interface CancelResult {
  batch: BatchRecord;
  /** The task indexes in scope that are cancelled, ascending. */
  cancelled: number[];
  /** Credits given back for those tasks, in total (also those refunded by an earlier cancel). */
  creditsRefunded: number;
}

/**
 * Cancels a user's batch, or one task of it: `pending` tasks end `cancelled` and refunded once,
 * `processing` ones end `cancelled` (refunded only with `refundCancelledRunning`), and their runs
 * stop: here at once, in another process at its next lease renewal. A repeated cancel answers the
 * same; a scope with nothing open and nothing cancelled is a `ConflictError` naming what it is.
 */
export async function cancelBatch(
  deps: CancelDeps,
  username: string,
  batchId: string,
  options: { taskIndex?: number } = {},
): Promise<CancelResult> {
  const { taskIndex } = options;
  if (taskIndex !== undefined && (!Number.isSafeInteger(taskIndex) || taskIndex < 0)) {
    throw new ValidationError('task_index', 'must be a whole number of 0 or more');
  }
  const current = await deps.storage.getBatch(batchId);
  if (!current || current.username !== username) throw new NotFoundError('Batch', batchId);
  if (taskIndex !== undefined && !current.tasks[taskIndex]) throw new NotFoundError('Task', makeTaskId(batchId, taskIndex));
  const refund: TaskRefund = { amount: deps.pricePerTask, keyPrefix: CANCEL_REFUND_PREFIX, reason: 'cancelled before it ran' };
  const out = await deps.storage.cancelTasks(batchId, {
    ...(taskIndex !== undefined ? { taskIndex } : {}),
    refundPending: refund,
    refundProcessing: deps.refundCancelledRunning ? { ...refund, reason: 'cancelled while running' } : null,
    now: deps.now(),
  });
  if (!out) throw new NotFoundError('Batch', batchId);

  for (const c of out.cancelled) {
    if (c.was === 'processing') deps.stopLocalRun(batchId, c.index);
    if (c.refund) deps.announce({ entry: c.refund, balance: c.refund.balanceAfter, replayed: false });
    deps.events.emit('task:cancelled', {
      batchId,
      taskId: c.task.taskId,
      index: c.index,
      username,
      attempt: c.task.attempts,
      was: c.was,
      refunded: c.refund?.amount ?? 0,
    });
  }
  if (out.batchCompleted) {
    deps.events.emit('batch:completed', {
      batchId,
      username,
      totalTasks: out.batch.totalTasks,
      completedTasks: out.batch.completedTasks,
      failedTasks: out.batch.failedTasks,
      cancelledTasks: out.batch.cancelledTasks,
    });
  }

  const inScope = out.batch.tasks
    .map((task, index) => ({ task, index }))
    .filter(({ index }) => taskIndex === undefined || index === taskIndex);
  const cancelled = inScope.filter(({ task }) => task.status === 'cancelled');
  if (cancelled.length === 0) {
    const what = taskIndex === undefined ? 'batch' : 'task';
    const status = taskIndex === undefined ? out.batch.status : out.batch.tasks[taskIndex]!.status;
    throw new ConflictError(`${what}_${status}`, `The ${what} has already ended (${status}); there is nothing to cancel`, {
      batch_id: batchId,
      ...(taskIndex !== undefined ? { task_index: taskIndex } : {}),
    });
  }
  // The refunds of tasks cancelled earlier are read back, so a repeated cancel answers the same.
  const fresh = new Map(out.cancelled.map((c) => [c.index, c.refund?.amount ?? 0]));
  let creditsRefunded = 0;
  for (const { task, index } of cancelled) {
    creditsRefunded +=
      fresh.get(index) ??
      (await deps.storage.getLedgerEntry(username, taskRefundKey(CANCEL_REFUND_PREFIX, task.taskId, task.attempts)))?.amount ??
      0;
  }
  return { batch: out.batch, cancelled: cancelled.map(({ index }) => index), creditsRefunded };
}
