import type { BatchStore, LedgerEntryInput, LedgerWriteResult, OpenTaskRef, TaskEndResult } from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchTask } from '../../../core/schemas/records.js';
import {
  assertBatchOwner,
  assertRetryOwner,
  idTaken,
  numericCursor,
  pageLimit,
  taskChargeKey,
  taskNotFailed,
  taskRefundEntry,
  tooManyTasksWaiting,
} from '../../../core/storage-kit/index.js';
import { batchOf, type BatchRow, entryOf, summaryOfRow, type TaskRow, taskOf, taskRowOf } from '../sqlite/rows.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database, D1PreparedStatement, D1Result } from './d1-types.js';
import { guard, guardedStep, runGuarded } from './guard.js';
import { fastEntry, MAX_CURSOR, readWith } from './ledger.js';
import { andWhere, statement } from './sql.js';

/** The batch counters follow a task transition only when the statement just before it changed the task. */
const AFTER_TASK = 'changes() = 1';
const D1_SQL = {
  startBatch: andWhere(SQL.startBatch, AFTER_TASK),
  touchBatch: andWhere(SQL.touchBatch, AFTER_TASK),
  endInBatch: andWhere(SQL.endInBatch, AFTER_TASK),
  taskIs: 'EXISTS (SELECT 1 FROM tasks WHERE batch_id = ? AND idx = ? AND status = ? AND attempts = ?)',
  batchAbsent: 'NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = ?)',
  /** The owner's waiting tasks plus the new batch's (`?` 2) are at most the ceiling (`?` 3). */
  waitingFits: `(${SQL.tasksWaiting}) + ? <= ?`,
  /** The charge a task's refund gives back to is still the one read (it changes only with a retry). */
  chargeKeyIs: `(${SQL.taskChargeKey}) IS ?`,
};

/** The batch with every task, as stored, from the two statements of {@link loadStatements}. */
export const batchFrom = (batch: D1Result, tasks: D1Result): BatchRecord | null => {
  const row = batch.results[0] as unknown as BatchRow | undefined;
  return row ? batchOf(row, tasks.results as unknown as TaskRow[]) : null;
};

/** The statements that read a batch and its tasks. */
export const loadStatements = (db: D1Database, batchId: string): D1PreparedStatement[] => [
  statement(db, SQL.batch, [batchId]),
  statement(db, SQL.tasks, [batchId]),
];

/**
 * Batches and tasks on D1, in the SQLite adapter's tables. A task transition is a compare-and-set
 * UPDATE and the counters' UPDATE guarded by its `changes()`, in one batch; a transition that moves
 * credits adds the ledger's writes behind guards on the task and the account.
 */
export function d1Batches(db: D1Database): Omit<BatchStore, 'cancelTasks'> {
  async function loadBatch(batchId: string): Promise<BatchRecord | null> {
    const [batch, tasks] = await db.batch(loadStatements(db, batchId));
    return batchFrom(batch!, tasks!);
  }

  /** The task and batch of an ending transition, from the task's RETURNING and the counters' RETURNING. */
  function ended(task: D1Result, batch: D1Result): TaskEndResult | null {
    const taskRow = task.results[0] as unknown as TaskRow | undefined;
    if (!taskRow) return null;
    const row = batch.results[0] as unknown as BatchRow;
    const batchCompleted = row.completed_tasks + row.failed_tasks + row.cancelled_tasks === row.total_tasks;
    return { task: taskOf(taskRow), batch: summaryOfRow(row), batchCompleted };
  }

  /** Inserts the batch (with the key of the charge that paid for it) and its tasks, then reads them back. */
  function insertStatements(batch: BatchRecord, chargeKey: string): D1PreparedStatement[] {
    return [
      statement(db, SQL.insertBatch, {
        batch_id: batch.batchId,
        username: batch.username,
        total_tasks: batch.totalTasks,
        completed_tasks: batch.completedTasks,
        failed_tasks: batch.failedTasks,
        cancelled_tasks: batch.cancelledTasks,
        status: batch.status,
        created_at: batch.createdAt,
        updated_at: batch.updatedAt,
        charge_key: chargeKey,
      }),
      ...batch.tasks.map((task, idx) => statement(db, SQL.insertTask, taskRowOf(batch.batchId, idx, task))),
      ...loadStatements(db, batch.batchId),
    ];
  }

  /**
   * The tasks-waiting ceiling as a guard: the batch rolls back whole (nothing charged or stored)
   * unless the owner's open tasks, counted in the same batch, leave room for the new ones.
   */
  const waitingGuards = (batch: BatchRecord, maxTasksWaiting: number | undefined): D1PreparedStatement[] =>
    maxTasksWaiting === undefined ? [] : [guard(db, D1_SQL.waitingFits, [batch.username, batch.totalTasks, maxTasksWaiting])];

  async function createBatch(batch: BatchRecord, charge: LedgerEntryInput, now: number, maxTasksWaiting: number | undefined) {
    const input = { ...charge, reference: batch.batchId };
    const fast = fastEntry(db, input, now);
    if (fast) {
      const inserts = insertStatements(batch, charge.idempotencyKey);
      const guards = [...fast.guards, guard(db, D1_SQL.batchAbsent, [batch.batchId]), ...waitingGuards(batch, maxTasksWaiting)];
      // Any guard failing (a replay, a taken id, too many tasks waiting...) leaves it to the read-and-plan step, which says why.
      const results = await runGuarded(db, guards, [...fast.writes, ...inserts]);
      if (results) {
        const written = fast.entryOf(results);
        const loaded = batchFrom(results.at(-2)!, results.at(-1)!)!;
        return { entry: entryOf(written), balance: written.balance_after, replayed: false, batch: loaded };
      }
    }
    return guardedStep<LedgerWriteResult & { batch: BatchRecord }>(db, async () => {
      const { state, extra } = await readWith(
        db,
        charge.username,
        [charge],
        [statement(db, SQL.batchExists, [batch.batchId]), statement(db, SQL.tasksWaiting, [batch.username])],
      );
      const existing = state.entry(charge.idempotencyKey);
      if (existing) {
        const replay = state.apply(charge, now);
        const paidFor = await loadBatch(existing.reference ?? '');
        if (!paidFor) throw idTaken(existing.reference ?? charge.idempotencyKey);
        return { done: { ...replay, batch: paidFor } };
      }
      if (extra[0]!.results.length > 0) throw idTaken(batch.batchId);
      const { waiting } = extra[1]!.results[0] as { waiting: number };
      const refusal = tooManyTasksWaiting(waiting, batch.totalTasks, maxTasksWaiting);
      if (refusal) throw refusal;
      const written = state.apply(input, now);
      const writes = [...state.writes, ...insertStatements(batch, charge.idempotencyKey)];
      return {
        guards: [state.guard(), guard(db, D1_SQL.batchAbsent, [batch.batchId]), ...waitingGuards(batch, maxTasksWaiting)],
        writes,
        finish: (results) => ({ ...written, batch: batchFrom(results.at(-2)!, results.at(-1)!)! }),
      };
    });
  }

  async function readTask(batchId: string, index: number): Promise<{ task: TaskRow | null; batch: BatchRow | null }> {
    const [task, batch] = await db.batch([statement(db, SQL.task, [batchId, index]), statement(db, SQL.batch, [batchId])]);
    return {
      task: (task!.results[0] as unknown as TaskRow | undefined) ?? null,
      batch: (batch!.results[0] as unknown as BatchRow | undefined) ?? null,
    };
  }

  return {
    async createBatch(batch, charge, now, limits) {
      assertBatchOwner(batch, charge);
      return createBatch(batch, charge, now, limits?.maxTasksWaiting);
    },
    getBatch: loadBatch,
    async getTask(batchId, index) {
      const row = (await statement(db, SQL.task, [batchId, index]).all<TaskRow>()).results[0];
      return row ? taskOf(row) : null;
    },
    async listBatches(username, page) {
      const limit = pageLimit(page.limit);
      const rows = (await statement(db, SQL.batchPage, [username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1]).all<BatchRow>())
        .results;
      const items = rows.slice(0, limit).map(summaryOfRow);
      return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.createdAt) : null };
    },
    async claimTask(batchId, index, claim) {
      const [task] = await db.batch([
        statement(db, SQL.claimTask, {
          batch_id: batchId,
          idx: index,
          status: claim.expect.status,
          attempts: claim.expect.status === 'processing' ? claim.expect.attempts : null,
          now: claim.now,
          lease: claim.leaseExpiresAt,
          progress: claim.progress,
        }),
        statement(db, D1_SQL.startBatch, [claim.now, batchId]),
      ]);
      const row = task!.results[0] as unknown as TaskRow | undefined;
      return row ? taskOf(row) : null;
    },
    async updateTaskProgress(batchId, index, attempts, update) {
      const [task] = await db.batch([
        statement(db, SQL.progressTask, {
          batch_id: batchId,
          idx: index,
          attempts,
          progress: update.progress,
          set_request: update.providerRequestId !== undefined,
          request_id: update.providerRequestId ?? null,
          lease: update.leaseExpiresAt ?? null,
        }),
        statement(db, D1_SQL.touchBatch, [update.now, batchId]),
      ]);
      return task!.meta.changes > 0;
    },
    async completeTask(batchId, index, attempts, { result, progress }, now) {
      const [task, batch] = await db.batch([
        statement(db, SQL.completeTask, { batch_id: batchId, idx: index, attempts, result: JSON.stringify(result), progress, now }),
        statement(db, D1_SQL.endInBatch, { batch_id: batchId, completed: 1, failed: 0, now }),
      ]);
      return ended(task!, batch!);
    },
    async failTask(batchId, index, attempts, error, now, refund) {
      const fail = () => [
        statement(db, SQL.failTask, { batch_id: batchId, idx: index, attempts, error, now }),
        statement(db, D1_SQL.endInBatch, { batch_id: batchId, completed: 0, failed: 1, now }),
      ];
      if (!refund || refund.amount <= 0) {
        const [task, batch] = await db.batch(fail());
        return ended(task!, batch!);
      }
      return guardedStep<TaskEndResult | null>(db, async () => {
        const read = await readTask(batchId, index);
        // Attempts only grow, so a claim that is not the task's now never will be.
        if (!read.task || !read.batch || read.task.status !== 'processing' || read.task.attempts !== attempts) return { done: null };
        const chargeKey = taskChargeKey(read.task.charge_key, read.batch.charge_key);
        const input = taskRefundEntry(refund, read.batch.username, `${batchId}:${index}`, attempts, chargeKey);
        const { state } = await readWith(db, read.batch.username, [input]);
        const written = state.apply(input, now);
        return {
          guards: [
            guard(db, D1_SQL.taskIs, [batchId, index, 'processing', attempts]),
            guard(db, D1_SQL.chargeKeyIs, [batchId, index, chargeKey]),
            state.guard(),
          ],
          writes: [...fail(), ...state.writes],
          finish: ([task, batch]) => {
            const end = ended(task!, batch!)!;
            return { ...end, refund: written };
          },
        };
      });
    },
    async retryTask(batchId, index, { charge, progress }, now) {
      assertRetryOwner(batchId, charge);
      const taskId = `${batchId}:${index}`;
      return guardedStep<LedgerWriteResult & { task: BatchTask }>(db, async () => {
        const { state, extra } = await readWith(db, charge.username, [charge], [statement(db, SQL.task, [batchId, index])]);
        const task = (extra[0]!.results[0] as unknown as TaskRow | undefined) ?? null;
        if (state.entry(charge.idempotencyKey)) {
          const replay = state.apply(charge, now);
          if (!task) throw taskNotFailed(taskId, 'missing');
          return { done: { ...replay, task: taskOf(task) } };
        }
        if (!task) throw taskNotFailed(taskId, 'missing');
        if (task.status !== 'failed') throw taskNotFailed(taskId, task.status);
        const written = state.apply({ ...charge, reference: taskId }, now);
        return {
          guards: [state.guard(), guard(db, D1_SQL.taskIs, [batchId, index, 'failed', task.attempts])],
          writes: [
            statement(db, SQL.resetTask, { batch_id: batchId, idx: index, progress, charge_key: charge.idempotencyKey }),
            statement(db, SQL.reopenBatch, [now, batchId]),
            ...state.writes,
          ],
          finish: ([reset]) => ({ ...written, task: taskOf(reset!.results[0] as unknown as TaskRow) }),
        };
      });
    },
    async listOpenTasks(limit) {
      const rows = (
        await statement(db, SQL.openTasks, [Math.max(0, Math.floor(limit))]).all<{
          batch_id: string;
          username: string;
          idx: number;
          status: 'pending' | 'processing';
          attempts: number;
          lease_expires_at: number | null;
        }>()
      ).results;
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
