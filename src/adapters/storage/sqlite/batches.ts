import type { BatchStore, LedgerEntryInput, OpenTaskRef, TaskEndResult, TaskRefund } from '../../../core/ports/storage-adapter.js';
import type { BatchRecord } from '../../../core/schemas/records.js';
import {
  assertBatchOwner,
  assertRetryOwner,
  copyBatch,
  idTaken,
  numericCursor,
  pageLimit,
  taskNotFailed,
  taskRefundEntry,
  tooManyTasksWaiting,
} from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';
import { applyEntry, MAX_CURSOR } from './ledger.js';
import { batchOf, summaryOfRow, taskOf, taskRowOf, type BatchRow, type LedgerRow, type TaskRow } from './rows.js';

/**
 * Batches and tasks: the `batches` and `tasks` tables, a task a row keyed by (batch id, index),
 * so a transition writes one task row and its batch's counters.
 */
export function sqliteBatches(cx: SqliteContext): Omit<BatchStore, 'cancelTasks'> {
  const { st, write, read, run } = cx;

  function loadBatch(batchId: string): BatchRecord | null {
    const row = st.batch.get(batchId) as BatchRow | undefined;
    return row ? batchOf(row, st.tasks.all(batchId) as TaskRow[]) : null;
  }

  function endTask(batchId: string, task: TaskRow | undefined, completed: 0 | 1, now: number): TaskEndResult | null {
    if (!task) return null;
    const batch = st.countEndInBatch.get({ batch_id: batchId, completed, failed: 1 - completed, now }) as BatchRow;
    const ended = batch.completed_tasks + batch.failed_tasks + batch.cancelled_tasks;
    if (ended >= batch.total_tasks && batch.status !== 'completed') {
      st.closeBatch.run(batchId);
      batch.status = 'completed';
    }
    const batchCompleted = ended === batch.total_tasks;
    return { task: taskOf(task), batch: summaryOfRow(batch), batchCompleted };
  }

  const tx = {
    createBatch: write((batch: BatchRecord, charge: LedgerEntryInput, now: number, maxTasksWaiting: number | undefined) => {
      const existing = st.entryByKey.get(charge.username, charge.idempotencyKey) as LedgerRow | undefined;
      if (existing) {
        const replay = applyEntry(st, charge, now);
        const paidFor = loadBatch(existing.reference ?? '');
        if (!paidFor) throw idTaken(existing.reference ?? charge.idempotencyKey);
        return { ...replay, batch: paidFor };
      }
      if (st.batchExists.get(batch.batchId)) throw idTaken(batch.batchId);
      if (maxTasksWaiting !== undefined) {
        // Inside the write transaction (BEGIN IMMEDIATE): no other process creates a batch between the count and the insert.
        const { waiting } = st.tasksWaiting.get(batch.username) as { waiting: number };
        const refusal = tooManyTasksWaiting(waiting, batch.totalTasks, maxTasksWaiting);
        if (refusal) throw refusal;
      }
      const written = applyEntry(st, { ...charge, reference: batch.batchId }, now);
      st.insertBatch.run({
        batch_id: batch.batchId,
        username: batch.username,
        total_tasks: batch.totalTasks,
        completed_tasks: batch.completedTasks,
        failed_tasks: batch.failedTasks,
        cancelled_tasks: batch.cancelledTasks,
        status: batch.status,
        created_at: batch.createdAt,
        updated_at: batch.updatedAt,
        charge_key: charge.idempotencyKey,
      });
      for (const [idx, task] of batch.tasks.entries()) st.insertTask.run(taskRowOf(batch.batchId, idx, task));
      // What was just inserted, as the Redis and PostgreSQL adapters answer: no read-back of 11 rows.
      return { ...written, batch: copyBatch(batch) };
    }),
    getBatch: read(loadBatch),
    claimTask: write(
      (batchId: string, index: number, status: string, attempts: number | null, now: number, lease: number, progress: number) => {
        const row = st.claimTask.get({ batch_id: batchId, idx: index, status, attempts, now, lease, progress }) as TaskRow | undefined;
        if (!row) return null;
        st.startBatch.run(now, batchId);
        return taskOf(row);
      },
    ),
    updateTaskProgress: write(
      (
        batchId: string,
        index: number,
        attempts: number,
        progress: number,
        setRequest: boolean,
        requestId: string | null,
        lease: number | null,
        now: number,
      ) => {
        const changed = st.progressTask.run({
          batch_id: batchId,
          idx: index,
          attempts,
          progress,
          set_request: setRequest ? 1 : 0,
          request_id: requestId,
          lease,
        }).changes;
        if (changed === 0) return false;
        st.touchBatch.run(now, batchId);
        return true;
      },
    ),
    completeTask: write((batchId: string, index: number, attempts: number, result: string, progress: number, now: number) =>
      endTask(
        batchId,
        st.completeTask.get({ batch_id: batchId, idx: index, attempts, result, progress, now }) as TaskRow | undefined,
        1,
        now,
      ),
    ),
    failTask: write((batchId: string, index: number, attempts: number, error: string, now: number, refund: TaskRefund | null) => {
      const ended = endTask(
        batchId,
        st.failTask.get({ batch_id: batchId, idx: index, attempts, error, now }) as TaskRow | undefined,
        0,
        now,
      );
      if (!ended || !refund || refund.amount <= 0) return ended;
      const owner = (st.batch.get(batchId) as BatchRow).username;
      const chargeKey = (st.taskChargeKey.get(batchId, index) as { charge_key: string | null }).charge_key;
      return { ...ended, refund: applyEntry(st, taskRefundEntry(refund, owner, ended.task.taskId, attempts, chargeKey), now) };
    }),
    retryTask: write((batchId: string, index: number, charge: LedgerEntryInput, progress: number, now: number) => {
      const existing = st.entryByKey.get(charge.username, charge.idempotencyKey);
      const task = st.task.get(batchId, index) as TaskRow | undefined;
      if (existing) {
        const replay = applyEntry(st, charge, now);
        if (!task) throw taskNotFailed(`${batchId}:${index}`, 'missing');
        return { ...replay, task: taskOf(task) };
      }
      if (!task) throw taskNotFailed(`${batchId}:${index}`, 'missing');
      if (task.status !== 'failed') throw taskNotFailed(`${batchId}:${index}`, task.status);
      const written = applyEntry(st, { ...charge, reference: `${batchId}:${index}` }, now);
      const reset = st.resetTask.get({ batch_id: batchId, idx: index, progress, charge_key: charge.idempotencyKey }) as TaskRow;
      st.reopenBatch.run(now, batchId);
      return { ...written, task: taskOf(reset) };
    }),
  };

  return {
    async createBatch(batch, charge, now, limits) {
      assertBatchOwner(batch, charge);
      return tx.createBatch(batch, charge, now, limits?.maxTasksWaiting);
    },
    getBatch: (batchId) => tx.getBatch(batchId),
    async getTask(batchId, index) {
      const row = await run(() => st.task.get(batchId, index) as TaskRow | undefined);
      return row ? taskOf(row) : null;
    },
    async listBatches(username, page) {
      const limit = pageLimit(page.limit);
      const rows = await run(() => st.batchPage.all(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1) as BatchRow[]);
      const items = rows.slice(0, limit).map(summaryOfRow);
      return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.createdAt) : null };
    },
    claimTask: (batchId, index, claim) =>
      tx.claimTask(
        batchId,
        index,
        claim.expect.status,
        claim.expect.status === 'processing' ? claim.expect.attempts : null,
        claim.now,
        claim.leaseExpiresAt,
        claim.progress,
      ),
    updateTaskProgress: (batchId, index, attempts, update) =>
      tx.updateTaskProgress(
        batchId,
        index,
        attempts,
        update.progress,
        update.providerRequestId !== undefined,
        update.providerRequestId ?? null,
        update.leaseExpiresAt ?? null,
        update.now,
      ),
    completeTask: (batchId, index, attempts, { result, progress }, now) =>
      tx.completeTask(batchId, index, attempts, JSON.stringify(result), progress, now),
    failTask: (batchId, index, attempts, error, now, refund) => tx.failTask(batchId, index, attempts, error, now, refund ?? null),
    async retryTask(batchId, index, { charge, progress }, now) {
      assertRetryOwner(batchId, charge);
      return tx.retryTask(batchId, index, charge, progress, now);
    },
    async listOpenTasks(limit) {
      const rows = await run(
        () =>
          st.openTasks.all(Math.max(0, Math.floor(limit))) as Array<{
            batch_id: string;
            username: string;
            idx: number;
            status: 'pending' | 'processing';
            attempts: number;
            lease_expires_at: number | null;
          }>,
      );
      return rows.map(
        (r): OpenTaskRef => ({
          batchId: r.batch_id,
          username: r.username,
          index: r.idx,
          status: r.status,
          attempts: r.attempts,
          leaseExpiresAt: r.lease_expires_at,
        }),
      );
    },
  };
}
