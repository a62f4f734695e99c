import { parseBatchId } from '../../../core/ids.js';
import type { BatchStore, CancelledTask, TaskCancellation } from '../../../core/ports/storage-adapter.js';
import { taskRefundEntry } from '../../../core/storage-kit/index.js';
import type { Batches } from './batches.js';
import type { Database } from './database.js';
import type { Ledger } from './ledger.js';
import { entryOf, TASK_COLUMNS, taskOf, type TaskRow } from './rows.js';

/**
 * Cancel as one transaction: the owner's account row first (the order every credit write takes),
 * then the open task rows in index order (`FOR UPDATE`, so a worker's end of the same task waits,
 * re-checks its compare-and-set and matches nothing, or ended it first and is skipped), then the
 * refunds, the task rows and the batch row.
 */
export function createCancelTasks(db: Database, ledger: Ledger, batches: Batches): Pick<BatchStore, 'cancelTasks'> {
  const tasks = db.table('tasks');
  const batchTable = db.table('batches');
  const SQL = {
    lockOpen: `SELECT ${TASK_COLUMNS},
        COALESCE(charge_key, (SELECT b.charge_key FROM ${batchTable} b WHERE b.batch_id = $1)) AS charge_key
      FROM ${tasks}
      WHERE batch_id = $1 AND ($2::integer IS NULL OR idx = $2) AND status IN ('pending', 'processing')
      ORDER BY idx FOR UPDATE`,
    cancel: `UPDATE ${tasks} SET status = 'cancelled', completed_at = $3, lease_expires_at = NULL
      WHERE batch_id = $1 AND idx = ANY($2::integer[])`,
    count: `UPDATE ${batchTable} SET cancelled_tasks = cancelled_tasks + $2, updated_at = $3,
        status = CASE WHEN completed_tasks + failed_tasks + cancelled_tasks + $2 >= total_tasks THEN 'completed' ELSE status END
      WHERE batch_id = $1
      RETURNING (SELECT status FROM ${batchTable} WHERE batch_id = $1) AS before, status`,
  };

  return {
    async cancelTasks(batchId: string, { taskIndex, refundPending, refundProcessing, now }: TaskCancellation) {
      const username = parseBatchId(batchId)?.username;
      if (!username) return null;
      const index = taskIndex === undefined ? null : Number.isInteger(taskIndex) ? taskIndex : -1;
      return db.transaction(async (client) => {
        const account = await ledger.lockAccount(client, username);
        const open = await db.query<TaskRow & { charge_key: string | null }>(SQL.lockOpen, [batchId, index], client);
        const cancelled: CancelledTask[] = [];
        for (const row of open) {
          const was = row.status as CancelledTask['was'];
          const refund = was === 'pending' ? refundPending : refundProcessing;
          let entry = null;
          if (refund && refund.amount > 0) {
            const input = taskRefundEntry(refund, username, `${batchId}:${row.idx}`, row.attempts, row.charge_key);
            const existing = await ledger.findEntry(client, username, input.idempotencyKey);
            entry = existing ? entryOf(existing) : (await ledger.writeEntry(client, input, account, now)).entry;
          }
          cancelled.push({ index: row.idx, was, task: taskOf(row), refund: entry });
        }
        let batchCompleted = false;
        if (cancelled.length > 0) {
          await db.query(SQL.cancel, [batchId, cancelled.map((c) => c.index), now], client);
          const moved = (await db.query<{ before: string; status: string }>(SQL.count, [batchId, cancelled.length, now], client))[0];
          batchCompleted = moved !== undefined && moved.before !== 'completed' && moved.status === 'completed';
        }
        const batch = await batches.loadBatch(batchId, client);
        if (!batch || batch.username !== username) return null;
        for (const c of cancelled) c.task = batch.tasks[c.index]!;
        return { batch, cancelled, balance: account.balance, batchCompleted };
      });
    },
  };
}
