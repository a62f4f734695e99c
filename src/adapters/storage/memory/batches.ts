import type { BatchStore, OpenTaskRef, TaskClaim, TaskEndResult } from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchSummary, BatchTask } from '../../../core/schemas/records.js';
import {
  assertBatchOwner,
  assertRetryOwner,
  allTasksEnded,
  assertSameEntry,
  copyBatch,
  copyTask,
  idTaken,
  summaryOf,
  taskNotFailed,
  taskRefundEntry,
  tooManyTasksWaiting,
} from '../../../core/storage-kit/index.js';
import { applyEntry, checkEntry, writeEntry } from './ledger.js';
import { pageNewestFirst } from './paging.js';
import { chargeKeyOfTask, ledgerKey, markClosed, markOpen, type MemoryState, userOf } from './state.js';

/** Batches and tasks in memory; their charges go to the shared journal. */
export function memoryBatches(state: MemoryState): Omit<BatchStore, 'cancelTasks'> {
  const { batches, openBatches, entriesByKey } = state;

  function openTask(batchId: string, index: number): { batch: BatchRecord; task: BatchTask } | null {
    const batch = batches.get(batchId);
    const task = batch?.tasks[index];
    return batch && task ? { batch, task } : null;
  }

  function endTask(
    batchId: string,
    index: number,
    attempts: number,
    now: number,
    apply: (task: BatchTask, batch: BatchRecord) => void,
  ): TaskEndResult | null {
    const found = openTask(batchId, index);
    if (found?.task.status !== 'processing' || found.task.attempts !== attempts) return null;
    const { batch, task } = found;
    apply(task, batch);
    task.completedAt = now;
    task.leaseExpiresAt = null;
    batch.updatedAt = now;
    const batchCompleted = allTasksEnded(batch);
    if (batchCompleted) {
      batch.status = 'completed';
      markClosed(state, batchId, batch.username);
    }
    return { task: copyTask(task), batch: summaryOf(batch), batchCompleted };
  }

  /** The user's `pending` and `processing` tasks: the open tasks of their open batches. */
  function waitingOf(username: string): number {
    let waiting = 0;
    for (const id of state.users.get(username)?.openBatchIds ?? []) {
      const b = batches.get(id)!;
      waiting += b.totalTasks - b.completedTasks - b.failedTasks - b.cancelledTasks;
    }
    return waiting;
  }

  return {
    async createBatch(batch, charge, now, limits) {
      assertBatchOwner(batch, charge);
      const existing = entriesByKey.get(ledgerKey(charge.username, charge.idempotencyKey));
      if (existing) {
        assertSameEntry(existing.entry, existing.fingerprint, charge);
        const paidFor = batches.get(existing.entry.reference ?? '');
        if (!paidFor) throw idTaken(existing.entry.reference ?? charge.idempotencyKey);
        return {
          entry: { ...existing.entry },
          balance: userOf(state, charge.username).balance,
          replayed: true,
          batch: copyBatch(paidFor),
        };
      }
      if (batches.has(batch.batchId)) throw idTaken(batch.batchId);
      const refusal =
        limits?.maxTasksWaiting === undefined
          ? null
          : tooManyTasksWaiting(waitingOf(batch.username), batch.totalTasks, limits.maxTasksWaiting);
      if (refusal) throw refusal;
      const user = userOf(state, charge.username);
      checkEntry(charge, user);
      const written = writeEntry(state, { ...charge, reference: batch.batchId }, user, now);
      state.chargeKeys.set(batch.batchId, charge.idempotencyKey);
      const stored = copyBatch(batch);
      batches.set(batch.batchId, stored);
      markOpen(state, batch.batchId, batch.username);
      const ids = userOf(state, batch.username).batchIds;
      ids.push(batch.batchId);
      if (ids.length > 1 && batches.get(ids.at(-2)!)!.createdAt > batch.createdAt) {
        ids.sort((a, b) => batches.get(a)!.createdAt - batches.get(b)!.createdAt);
      }
      return { ...written, batch: copyBatch(stored) };
    },
    async getBatch(batchId) {
      const batch = batches.get(batchId);
      return batch ? copyBatch(batch) : null;
    },
    async getTask(batchId, index) {
      const task = batches.get(batchId)?.tasks[index];
      return task ? copyTask(task) : null;
    },
    async listBatches(username, page) {
      const ids = state.users.get(username)?.batchIds ?? [];
      return pageNewestFirst<BatchSummary>(
        ids,
        (id) => batches.get(id)!.createdAt,
        (id) => summaryOf(batches.get(id)!),
        page,
      );
    },
    async claimTask(batchId, index, claim: TaskClaim) {
      const found = openTask(batchId, index);
      if (!found) return null;
      const { batch, task } = found;
      const expect = claim.expect;
      if (task.status !== expect.status) return null;
      if (expect.status === 'processing' && task.attempts !== expect.attempts) return null;
      task.status = 'processing';
      task.attempts += 1;
      task.progress = Math.max(task.progress, claim.progress);
      task.startedAt = claim.now;
      task.leaseExpiresAt = claim.leaseExpiresAt;
      if (batch.status === 'pending') batch.status = 'processing';
      batch.updatedAt = claim.now;
      return copyTask(task);
    },
    async updateTaskProgress(batchId, index, attempts, update) {
      const found = openTask(batchId, index);
      if (found?.task.status !== 'processing' || found.task.attempts !== attempts) return false;
      const { task, batch } = found;
      if (update.progress > task.progress) task.progress = update.progress;
      if (update.providerRequestId !== undefined) task.providerRequestId = update.providerRequestId;
      if (update.leaseExpiresAt !== undefined) task.leaseExpiresAt = update.leaseExpiresAt;
      batch.updatedAt = update.now;
      return true;
    },
    async completeTask(batchId, index, attempts, { result, progress }, now) {
      return endTask(batchId, index, attempts, now, (task, batch) => {
        task.status = 'completed';
        task.progress = progress;
        task.result = { ...result };
        task.error = null;
        batch.completedTasks += 1;
      });
    },
    async failTask(batchId, index, attempts, error, now, refund) {
      let refunded = null;
      const ended = endTask(batchId, index, attempts, now, (task, batch) => {
        task.status = 'failed';
        task.error = error;
        batch.failedTasks += 1;
        if (refund && refund.amount > 0) {
          const chargeKey = chargeKeyOfTask(state, batchId, task.taskId);
          refunded = applyEntry(state, taskRefundEntry(refund, batch.username, task.taskId, attempts, chargeKey), now);
        }
      });
      return ended && { ...ended, refund: refunded };
    },
    async retryTask(batchId, index, { charge, progress }, now) {
      assertRetryOwner(batchId, charge);
      const existing = entriesByKey.get(ledgerKey(charge.username, charge.idempotencyKey));
      const found = openTask(batchId, index);
      if (existing) {
        assertSameEntry(existing.entry, existing.fingerprint, charge);
        return {
          entry: { ...existing.entry },
          balance: userOf(state, charge.username).balance,
          replayed: true,
          task: copyTask(found!.task),
        };
      }
      if (!found) throw taskNotFailed(`${batchId}:${index}`, 'missing');
      const { batch, task } = found;
      if (task.status !== 'failed') throw taskNotFailed(task.taskId, task.status);
      const user = userOf(state, charge.username);
      checkEntry(charge, user);
      const written = writeEntry(state, { ...charge, reference: task.taskId }, user, now);
      state.chargeKeys.set(task.taskId, charge.idempotencyKey);
      task.status = 'pending';
      task.progress = progress;
      task.result = null;
      task.error = null;
      task.providerRequestId = null;
      task.leaseExpiresAt = null;
      task.completedAt = null;
      batch.failedTasks -= 1;
      batch.status = 'processing';
      batch.updatedAt = now;
      markOpen(state, batchId, batch.username);
      return { ...written, task: copyTask(task) };
    },
    async listOpenTasks(limit) {
      const out: OpenTaskRef[] = [];
      for (const batchId of openBatches) {
        const batch = batches.get(batchId)!;
        for (const [index, task] of batch.tasks.entries()) {
          if (task.status !== 'pending' && task.status !== 'processing') continue;
          out.push({
            batchId,
            username: batch.username,
            index,
            status: task.status,
            attempts: task.attempts,
            leaseExpiresAt: task.leaseExpiresAt,
          });
          if (out.length >= limit) return out;
        }
      }
      return out;
    },
  };
}
