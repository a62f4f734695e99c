import type { LedgerEntryInput, LedgerWriteResult, TaskClaim, TaskEndResult } from '../../../core/ports/storage-adapter.js';
import { PROGRESS } from '../../../core/policy/progress.js';
import type { BatchTask, TaskResult } from '../../../core/schemas/records.js';
import { taskNotFailed } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';
import { GroupCommit } from './group-commit.js';
import type { Ledger } from './ledger.js';
import { summaryOfRow, TASK_COLUMNS, taskOf, type BatchRow, type TaskRow } from './rows.js';

/**
 * The progress values this file writes, all from core's policy and all passed to SQL as
 * parameters: the SQL names none.
 */
const STAGE = {
  /** What a claim raises progress to (at least). */
  claimed: PROGRESS.received,
  /** The highest progress an update may write before the task completes. */
  runningCeiling: PROGRESS.runningCeiling,
  /** A completed task. */
  done: PROGRESS.done,
  /** A task reset for a retry. */
  queued: PROGRESS.queued,
} as const;

/** Groups of task writes in flight at once, each on its own connection. */
const LANES = 4;

/** A small, stable string hash (FNV-1a) to spread batches over the lanes. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A task row joined with its batch's summary, as an ending transition returns it. */
type EndedRow = TaskRow & {
  b_username: string;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  b_status: string;
  b_created_at: string;
  b_updated_at: string;
};

/**
 * Task transitions. Each is one statement: a conditional `UPDATE ... WHERE status = ... AND
 * attempts = ... RETURNING` on the task row, and in the same statement (a data-modifying CTE) the
 * batch row's counters, touched only when the task row matched. Of two concurrent transitions of
 * one task the second waits for the first's row lock, re-checks its condition and matches
 * nothing. A retry charges, so it is one transaction: account row, then task row (both locked).
 * Locks are always taken in the order account → task → batch.
 */
export function createTaskStore(db: Database, ledger: Ledger) {
  // A batch's writes always go to the same lane, so two groups in flight never wait on each other's row locks.
  const lanes = Array.from({ length: LANES }, () => new GroupCommit(db));
  const laneOf = (batchId: string) => lanes[hashOf(batchId) % LANES]!;
  /** Task rows in (batch, index) order, then their batch row: the lock order of every group. */
  const lockOrder = (batchId: string, index: number) => `${batchId}\u0000${String(index).padStart(10, '0')}`;
  const tasks = db.table('tasks');
  const batches = db.table('batches');
  const batchColumns = `b.username AS b_username, b.total_tasks, b.completed_tasks, b.failed_tasks,
    b.status AS b_status, b.created_at AS b_created_at, b.updated_at AS b_updated_at`;
  /** Ends a task matched by `$1` batch, `$2` index, `$3` attempts and bumps one counter of its batch. */
  const endTask = (set: string, completed: 0 | 1) => `WITH t AS (
      UPDATE ${tasks} SET ${set}, completed_at = $4, lease_expires_at = NULL
      WHERE batch_id = $1 AND idx = $2 AND status = 'processing' AND attempts = $3
      RETURNING ${TASK_COLUMNS}
    ), b AS (
      UPDATE ${batches} SET
        completed_tasks = completed_tasks + ${completed},
        failed_tasks = failed_tasks + ${1 - completed},
        status = CASE WHEN completed_tasks + failed_tasks + 1 >= total_tasks THEN 'completed' ELSE status END,
        updated_at = $4
      WHERE batch_id = $1 AND EXISTS (SELECT 1 FROM t)
      RETURNING *
    )
    SELECT t.*, ${batchColumns} FROM t CROSS JOIN b`;

  const SQL = {
    claim: `WITH t AS (
        UPDATE ${tasks} SET status = 'processing', attempts = attempts + 1, progress = GREATEST(progress, $5),
          started_at = $6, lease_expires_at = $7
        WHERE batch_id = $1 AND idx = $2 AND status = $3 AND ($4::integer IS NULL OR attempts = $4)
        RETURNING ${TASK_COLUMNS}
      ), b AS (
        UPDATE ${batches} SET status = CASE WHEN status = 'pending' THEN 'processing' ELSE status END, updated_at = $6
        WHERE batch_id = $1 AND EXISTS (SELECT 1 FROM t)
      )
      SELECT * FROM t`,
    progress: `WITH t AS (
        UPDATE ${tasks} SET
          progress = CASE WHEN $4 > progress THEN LEAST($4, $5) ELSE progress END,
          provider_request_id = CASE WHEN $6 THEN $7 ELSE provider_request_id END,
          lease_expires_at = COALESCE($8, lease_expires_at)
        WHERE batch_id = $1 AND idx = $2 AND status = 'processing' AND attempts = $3
        RETURNING 1
      ), b AS (
        UPDATE ${batches} SET updated_at = $9 WHERE batch_id = $1 AND EXISTS (SELECT 1 FROM t)
      )
      SELECT count(*)::integer AS n FROM t`,
    complete: endTask(`status = 'completed', progress = $5, result = $6::jsonb, error = NULL`, 1),
    fail: endTask(`status = 'failed', error = $5`, 0),
    lockTask: `SELECT ${TASK_COLUMNS} FROM ${tasks} WHERE batch_id = $1 AND idx = $2 FOR UPDATE`,
    task: `SELECT ${TASK_COLUMNS} FROM ${tasks} WHERE batch_id = $1 AND idx = $2`,
    /** Moves a failed task back to pending and reopens its batch, in one statement. */
    reset: `WITH t AS (
        UPDATE ${tasks} SET status = 'pending', progress = $3, result = NULL, error = NULL, provider_request_id = NULL,
          lease_expires_at = NULL, completed_at = NULL
        WHERE batch_id = $1 AND idx = $2 AND status = 'failed'
        RETURNING ${TASK_COLUMNS}
      ), b AS (
        UPDATE ${batches} SET failed_tasks = failed_tasks - 1, status = 'processing', updated_at = $4
        WHERE batch_id = $1 AND EXISTS (SELECT 1 FROM t)
      )
      SELECT * FROM t`,
  };

  function ended(rows: EndedRow[]): TaskEndResult | null {
    const row = rows[0];
    if (!row) return null;
    const batch = summaryOfRow({
      batch_id: row.batch_id,
      username: row.b_username,
      total_tasks: row.total_tasks,
      completed_tasks: row.completed_tasks,
      failed_tasks: row.failed_tasks,
      status: row.b_status,
      created_at: row.b_created_at,
      updated_at: row.b_updated_at,
    } satisfies BatchRow);
    return { task: taskOf(row), batch, batchCompleted: batch.completedTasks + batch.failedTasks === batch.totalTasks };
  }

  return {
    /** Resolves once every task write started so far has been committed. */
    drain: async () => {
      await Promise.all(lanes.map((lane) => lane.drain()));
    },

    async claimTask(batchId: string, index: number, claim: TaskClaim): Promise<BatchTask | null> {
      const attempts = claim.expect.status === 'processing' ? claim.expect.attempts : null;
      const rows = await laneOf(batchId).run<TaskRow>(
        SQL.claim,
        [batchId, index, claim.expect.status, attempts, STAGE.claimed, claim.now, claim.leaseExpiresAt],
        lockOrder(batchId, index),
      );
      return rows[0] ? taskOf(rows[0]) : null;
    },

    async updateTaskProgress(
      batchId: string,
      index: number,
      attempts: number,
      update: { progress: number; providerRequestId?: string | null; leaseExpiresAt?: number; now: number },
    ): Promise<boolean> {
      const rows = await laneOf(batchId).run<{ n: number }>(
        SQL.progress,
        [
          batchId,
          index,
          attempts,
          update.progress,
          STAGE.runningCeiling,
          update.providerRequestId !== undefined,
          update.providerRequestId ?? null,
          update.leaseExpiresAt ?? null,
          update.now,
        ],
        lockOrder(batchId, index),
      );
      return (rows[0]?.n ?? 0) > 0;
    },

    async completeTask(batchId: string, index: number, attempts: number, result: TaskResult, now: number): Promise<TaskEndResult | null> {
      return ended(
        await laneOf(batchId).run<EndedRow>(
          SQL.complete,
          [batchId, index, attempts, now, STAGE.done, JSON.stringify(result)],
          lockOrder(batchId, index),
        ),
      );
    },

    async failTask(batchId: string, index: number, attempts: number, error: string, now: number): Promise<TaskEndResult | null> {
      return ended(await laneOf(batchId).run<EndedRow>(SQL.fail, [batchId, index, attempts, now, error], lockOrder(batchId, index)));
    },

    async retryTask(
      batchId: string,
      index: number,
      charge: LedgerEntryInput,
      now: number,
    ): Promise<LedgerWriteResult & { task: BatchTask }> {
      const taskId = `${batchId}:${index}`;
      return db.transaction(async (client) => {
        const account = await ledger.lockAccount(client, charge.username);
        const existing = await ledger.findEntry(client, charge.username, charge.idempotencyKey);
        if (existing) {
          const replayed = ledger.replay(existing, charge, account);
          const task = (await db.query<TaskRow>(SQL.task, [batchId, index], client))[0];
          if (!task) throw taskNotFailed(taskId, 'missing');
          return { ...replayed, task: taskOf(task) };
        }
        const task = (await db.query<TaskRow>(SQL.lockTask, [batchId, index], client))[0];
        if (!task) throw taskNotFailed(taskId, 'missing');
        if (task.status !== 'failed') throw taskNotFailed(taskId, task.status);
        const written = await ledger.writeEntry(client, { ...charge, reference: taskId }, account, now);
        const reset = (await db.query<TaskRow>(SQL.reset, [batchId, index, STAGE.queued, now], client))[0]!;
        return { ...written, task: taskOf(reset) };
      });
    },
  };
}
