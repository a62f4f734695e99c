import type { BatchStore, CancelledTask } from '../../../core/ports/storage-adapter.js';
import { allTasksEnded, copyBatch, copyTask, taskRefundEntry } from '../../../core/storage-kit/index.js';
import { writeEntry } from './ledger.js';
import { chargeKeyOfTask, ledgerKey, markClosed, type MemoryState, userOf } from './state.js';

/** Cancels a batch's open tasks and writes their refunds, synchronously (one step). */
export function memoryCancelTasks(state: MemoryState): Pick<BatchStore, 'cancelTasks'> {
  return {
    async cancelTasks(batchId, { taskIndex, refundPending, refundProcessing, now }) {
      const batch = state.batches.get(batchId);
      if (!batch) return null;
      const user = userOf(state, batch.username);
      const wasOpen = !allTasksEnded(batch);
      const cancelled: CancelledTask[] = [];
      for (const [index, task] of batch.tasks.entries()) {
        if (taskIndex !== undefined && index !== taskIndex) continue;
        if (task.status !== 'pending' && task.status !== 'processing') continue;
        const was = task.status;
        const refund = was === 'pending' ? refundPending : refundProcessing;
        let entry = null;
        if (refund && refund.amount > 0) {
          const input = taskRefundEntry(refund, batch.username, task.taskId, task.attempts, chargeKeyOfTask(state, batchId, task.taskId));
          const existing = state.entriesByKey.get(ledgerKey(input.username, input.idempotencyKey));
          entry = existing ? { ...existing.entry } : writeEntry(state, input, user, now).entry;
        }
        task.status = 'cancelled';
        task.completedAt = now;
        task.leaseExpiresAt = null;
        batch.cancelledTasks += 1;
        cancelled.push({ index, was, task: copyTask(task), refund: entry });
      }
      if (cancelled.length > 0) batch.updatedAt = now;
      const batchCompleted = wasOpen && allTasksEnded(batch);
      if (batchCompleted) {
        batch.status = 'completed';
        markClosed(state, batchId, batch.username);
      }
      return { batch: copyBatch(batch), cancelled, balance: user.balance, batchCompleted };
    },
  };
}
