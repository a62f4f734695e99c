import type { BatchStore, CancelledTask, TaskCancellation } from '../../../core/ports/storage-adapter.js';
import { taskChargeKey, taskRefundEntry } from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';
import { applyEntry } from './ledger.js';
import { batchOf, entryOf, taskOf, type BatchRow, type LedgerRow, type TaskRow } from './rows.js';

/** Cancel in one write transaction: every open task in scope, its refund and the batch counters. */
export function sqliteCancelTasks(cx: SqliteContext): Pick<BatchStore, 'cancelTasks'> {
  const { st } = cx;
  const cancel = cx.write((batchId: string, { taskIndex, refundPending, refundProcessing, now }: TaskCancellation) => {
    const before = st.batch.get(batchId) as BatchRow | undefined;
    if (!before) return null;
    const cancelled: CancelledTask[] = [];
    for (const row of st.tasks.all(batchId) as TaskRow[]) {
      if (taskIndex !== undefined && row.idx !== taskIndex) continue;
      if (row.status !== 'pending' && row.status !== 'processing') continue;
      const was = row.status;
      const refund = was === 'pending' ? refundPending : refundProcessing;
      const taskId = `${batchId}:${row.idx}`;
      let entry = null;
      if (refund && refund.amount > 0) {
        const input = taskRefundEntry(refund, before.username, taskId, row.attempts, taskChargeKey(row.charge_key, before.charge_key));
        const existing = st.entryByKey.get(input.username, input.idempotencyKey) as LedgerRow | undefined;
        entry = existing ? entryOf(existing) : applyEntry(st, input, now).entry;
      }
      const after = st.cancelTask.get({ batch_id: batchId, idx: row.idx, now }) as TaskRow;
      cancelled.push({ index: row.idx, was, task: taskOf(after), refund: entry });
    }
    const batch =
      cancelled.length > 0 ? (st.cancelInBatch.get({ batch_id: batchId, cancelled: cancelled.length, now }) as BatchRow) : before;
    const balance = (st.account.get(before.username) as { balance: number } | undefined)?.balance ?? 0;
    return {
      batch: batchOf(batch, st.tasks.all(batchId) as TaskRow[]),
      cancelled,
      balance,
      batchCompleted: before.status !== 'completed' && batch.status === 'completed',
    };
  });
  return { cancelTasks: (batchId, cancellation) => cancel(batchId, cancellation) };
}
