import { parseBatchId } from '../../../core/ids.js';
import type {
  LedgerWriteResult,
  TaskClaim,
  TaskCompletion,
  TaskEndResult,
  TaskRefund,
  TaskRetry,
} from '../../../core/ports/storage-adapter.js';
import type { BatchTask } from '../../../core/schemas/records.js';
import { assertRetryOwner, taskNotFailed, taskRefundEntry } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';
import { GroupCommit } from './group-commit.js';
import type { Ledger } from './ledger.js';
import { summaryOfRow, TASK_COLUMNS, taskOf, type TaskRow } from './rows.js';
import { createTaskWrites, type EndedRow, type TaskWrite } from './task-writes.js';

/**
 * Task transitions. Claims, progress writes and ends are compare-and-set writes on the task row
 * (status and attempts must match) that move the batch row in the same statement; they are
 * group-committed (`group-commit.ts`, `task-writes.ts`). Of two transitions of one task the
 * second waits for the first's row lock, re-checks its condition and matches nothing. A retry
 * charges, so it is one transaction: account row, then task row, both locked, then the batch.
 */
export function createTaskStore(db: Database, ledger: Ledger, groupsInFlight: number) {
  const writes = createTaskWrites(db);
  const groups = new GroupCommit(db, writes, groupsInFlight);
  const write = (w: TaskWrite) => groups.run(w);
  const tasks = db.table('tasks');
  const batches = db.table('batches');

  const SQL = {
    lockTask: `SELECT ${TASK_COLUMNS} FROM ${tasks} WHERE batch_id = $1 AND idx = $2 FOR UPDATE`,
    task: `SELECT ${TASK_COLUMNS} FROM ${tasks} WHERE batch_id = $1 AND idx = $2`,
    /** The key of the charge that paid for the task's current attempt: its last retry's, else its batch's. */
    chargeKey: `SELECT COALESCE(t.charge_key, b.charge_key) AS charge_key
      FROM ${tasks} t JOIN ${batches} b ON b.batch_id = t.batch_id WHERE t.batch_id = $1 AND t.idx = $2`,
    /** Moves a failed task back to pending and reopens its batch, in one statement. */
    reset: `WITH t AS (
        UPDATE ${tasks} SET status = 'pending', progress = $3, result = NULL, error = NULL, provider_request_id = NULL,
          lease_expires_at = NULL, completed_at = NULL, charge_key = $5
        WHERE batch_id = $1 AND idx = $2 AND status = 'failed'
        RETURNING ${TASK_COLUMNS}
      ), b AS (
        UPDATE ${batches} SET failed_tasks = failed_tasks - 1, status = 'processing', updated_at = $4
        WHERE batch_id = $1 AND EXISTS (SELECT 1 FROM t)
      )
      SELECT * FROM t`,
  };

  function ended(row: EndedRow | null): TaskEndResult | null {
    if (!row) return null;
    const batch = summaryOfRow({
      batch_id: row.batch_id,
      username: row.b_username,
      total_tasks: row.total_tasks,
      completed_tasks: row.completed_tasks,
      failed_tasks: row.failed_tasks,
      cancelled_tasks: row.cancelled_tasks,
      status: row.b_status,
      created_at: row.b_created_at,
      updated_at: row.b_updated_at,
    });
    return { task: taskOf(row), batch, batchCompleted: row.closed_batch };
  }

  return {
    /** Resolves once every task write started so far has been committed. */
    async drain(): Promise<void> {
      await groups.drain();
    },

    async claimTask(batchId: string, index: number, claim: TaskClaim): Promise<BatchTask | null> {
      const attempts = claim.expect.status === 'processing' ? claim.expect.attempts : null;
      const row = (await write({
        kind: 'claim',
        batchId,
        index,
        status: claim.expect.status,
        attempts,
        now: claim.now,
        lease: claim.leaseExpiresAt,
        progress: claim.progress,
      })) as TaskRow | null;
      return row ? taskOf(row) : null;
    },

    async updateTaskProgress(
      batchId: string,
      index: number,
      attempts: number,
      update: { progress: number; providerRequestId?: string | null; leaseExpiresAt?: number; now: number },
    ): Promise<boolean> {
      return (await write({
        kind: 'progress',
        batchId,
        index,
        attempts,
        progress: update.progress,
        setRequest: update.providerRequestId !== undefined,
        requestId: update.providerRequestId ?? null,
        lease: update.leaseExpiresAt ?? null,
        now: update.now,
      })) as boolean;
    },

    async completeTask(
      batchId: string,
      index: number,
      attempts: number,
      completion: TaskCompletion,
      now: number,
    ): Promise<TaskEndResult | null> {
      const { result, progress } = completion;
      return ended((await write({ kind: 'complete', batchId, index, attempts, result, progress, now })) as EndedRow | null);
    },

    async failTask(
      batchId: string,
      index: number,
      attempts: number,
      error: string,
      now: number,
      refund?: TaskRefund | null,
    ): Promise<TaskEndResult | null> {
      const fail: TaskWrite = { kind: 'fail', batchId, index, attempts, error, now };
      if (!refund || refund.amount <= 0) return ended((await write(fail)) as EndedRow | null);
      // With a refund: one transaction, account row then task row (the order a retry locks them).
      const username = parseBatchId(batchId)?.username;
      if (!username) return null;
      return db.transaction(async (client) => {
        const account = await ledger.lockAccount(client, username);
        const result = ended((await writes.writeAll([fail], client))[0] as EndedRow | null);
        if (!result) return null;
        const chargeKey = (await db.query<{ charge_key: string | null }>(SQL.chargeKey, [batchId, index], client))[0]?.charge_key ?? null;
        const input = taskRefundEntry(refund, username, `${batchId}:${index}`, attempts, chargeKey);
        const existing = await ledger.findEntry(client, username, input.idempotencyKey);
        const written = existing ? ledger.replay(existing, input, account) : await ledger.writeEntry(client, input, account, now);
        return { ...result, refund: written };
      });
    },

    async retryTask(batchId: string, index: number, retry: TaskRetry, now: number): Promise<LedgerWriteResult & { task: BatchTask }> {
      const { charge, progress } = retry;
      assertRetryOwner(batchId, charge);
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
        const reset = (await db.query<TaskRow>(SQL.reset, [batchId, index, progress, now, charge.idempotencyKey], client))[0]!;
        return { ...written, task: taskOf(reset) };
      });
    },
  };
}
