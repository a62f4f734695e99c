import type {
  BatchLimits,
  LedgerEntryInput,
  LedgerWriteResult,
  OpenTaskRef,
  Page,
  PageRequest,
} from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchSummary, BatchTask } from '../../../core/schemas/records.js';
import { assertBatchOwner, copyBatch, idTaken, numericCursor, pageLimit, tooManyTasksWaiting } from '../../../core/storage-kit/index.js';
import { isUniqueViolation, type Database, type Params, type Queryable } from './database.js';
import type { Ledger } from './ledger.js';
import {
  batchOf,
  entryOf,
  num,
  summaryOfRow,
  TASK_COLUMNS,
  taskOf,
  taskRowsJson,
  type BatchRow,
  type LedgerRow,
  type TaskRow,
} from './rows.js';

/**
 * Batches and their task rows: creating one together with its charge, and reading them. The task
 * transitions are in `task-store.ts`.
 */
export function createBatches(db: Database, ledger: Ledger) {
  const batches = db.table('batches');
  const tasks = db.table('tasks');
  const SQL = {
    /** The batch and its tasks from one snapshot, in one round trip. */
    batch: `SELECT to_jsonb(b) AS batch,
        (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.idx) FROM ${tasks} t WHERE t.batch_id = b.batch_id) AS tasks
      FROM ${batches} b WHERE b.batch_id = $1`,
    exists: `SELECT 1 FROM ${batches} WHERE batch_id = $1`,
    /** The user's `pending` and `processing` tasks: the open tasks of their open batches (index `batches_open_by_user`). */
    waiting: `SELECT COALESCE(SUM(total_tasks - completed_tasks - failed_tasks - cancelled_tasks), 0)::integer AS waiting
      FROM ${batches} WHERE username = $1 AND status <> 'completed'`,
    /** The same count as a guard's subquery (`$1` the username). */
    waitingSum: `SELECT COALESCE(SUM(total_tasks - completed_tasks - failed_tasks - cancelled_tasks), 0)
      FROM ${batches} WHERE username = $1 AND status <> 'completed'`,
    /** The batch row and every task row in one statement (after `WITH`, parameters from `$first`). */
    insert: (first: number, after = '') => `${after} b AS (
        INSERT INTO ${batches} (batch_id, username, total_tasks, completed_tasks, failed_tasks, status, created_at, updated_at, charge_key)
        SELECT ${Array.from({ length: 8 }, (_, i) => `$${first + i}`).join(', ')}, $${first + 9}::text ${after ? 'FROM entry' : ''}
        RETURNING batch_id
      ), t AS (
        INSERT INTO ${tasks} (${TASK_COLUMNS})
        SELECT b.batch_id, x.idx, x.prompt, x.params, x.status, x.progress, NULLIF(x.result, 'null'::jsonb), x.error, x.created_at,
          x.attempts, x.started_at, x.completed_at, x.provider_request_id, x.lease_expires_at
        FROM b, jsonb_to_recordset($${first + 8}::jsonb) AS x(idx INTEGER, prompt TEXT, params JSONB, status TEXT, progress INTEGER,
          result JSONB, error TEXT, created_at BIGINT, attempts INTEGER, started_at BIGINT, completed_at BIGINT,
          provider_request_id TEXT, lease_expires_at BIGINT)
      )`,
    task: `SELECT ${TASK_COLUMNS} FROM ${tasks} WHERE batch_id = $1 AND idx = $2`,
    page: `SELECT batch_id, username, total_tasks, completed_tasks, failed_tasks, cancelled_tasks, status, created_at, updated_at FROM ${batches}
      WHERE username = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3`,
    open: `SELECT t.batch_id, b.username, t.idx, t.status, t.attempts, t.lease_expires_at
      FROM ${batches} b JOIN ${tasks} t ON t.batch_id = b.batch_id
      WHERE b.status <> 'completed' AND t.status IN ('pending', 'processing')
      ORDER BY b.created_at, b.batch_id, t.idx
      LIMIT $1`,
  };

  const insertAlone = `WITH ${SQL.insert(1)} SELECT 1`;
  /** After the ledger's `entry`: the batch is written only when the charge was. */
  const insertAfterEntry = `${SQL.insert(9, ',')} SELECT * FROM entry`;
  const batchParams = (batch: BatchRecord, chargeKey: string): Params => [
    batch.batchId,
    batch.username,
    batch.totalTasks,
    batch.completedTasks,
    batch.failedTasks,
    batch.status,
    batch.createdAt,
    batch.updatedAt,
    taskRowsJson(batch),
    chargeKey,
  ];

  /** The answer of a batch the one-statement path created. */
  const createdBy = (row: LedgerRow, batch: BatchRecord): LedgerWriteResult & { batch: BatchRecord } => {
    const entry = entryOf(row);
    return { entry, balance: entry.balanceAfter, replayed: false, batch: copyBatch(batch) };
  };

  async function loadBatch(batchId: string, on?: Queryable): Promise<BatchRecord | null> {
    const rows = await db.query<{ batch: BatchRow; tasks: TaskRow[] | null }>(SQL.batch, [batchId], on);
    const row = rows[0];
    return row ? batchOf(row.batch, row.tasks ?? []) : null;
  }

  async function createBatch(
    batch: BatchRecord,
    charge: LedgerEntryInput,
    now: number,
    limits?: BatchLimits,
  ): Promise<LedgerWriteResult & { batch: BatchRecord }> {
    assertBatchOwner(batch, charge);
    const paid = { ...charge, reference: batch.batchId };
    const maxWaiting = limits?.maxTasksWaiting;
    const params = batchParams(batch, charge.idempotencyKey);
    if (maxWaiting === undefined) {
      const fast = await ledger.tryFastEntry<LedgerRow>(paid, now, insertAfterEntry, params);
      if (fast) return createdBy(fast, batch);
    }
    try {
      return await db.transaction(async (client) => {
        const account = await ledger.lockAccount(client, charge.username);
        if (maxWaiting !== undefined) {
          // With a ceiling the count must come after the account row lock: a statement that starts
          // once the lock is held sees every batch of this user committed before it. The common
          // case is still one statement (its guard counts); anything else takes the steps below.
          const fast = await ledger.tryFastEntry<LedgerRow>(paid, now, insertAfterEntry, params, {
            client,
            guard: `AND (${SQL.waitingSum}) + $19::integer <= $20::integer`,
            guardParams: [batch.totalTasks, maxWaiting],
          });
          if (fast) return createdBy(fast, batch);
        }
        const existing = await ledger.findEntry(client, charge.username, charge.idempotencyKey);
        if (existing) {
          const replayed = ledger.replay(existing, charge, account);
          const paidFor = await loadBatch(existing.reference ?? '', client);
          if (!paidFor) throw idTaken(existing.reference ?? charge.idempotencyKey);
          return { ...replayed, batch: paidFor };
        }
        if ((await db.query(SQL.exists, [batch.batchId], client)).length > 0) throw idTaken(batch.batchId);
        if (maxWaiting !== undefined) {
          const waiting = (await db.query<{ waiting: number }>(SQL.waiting, [charge.username], client))[0]!.waiting;
          const refusal = tooManyTasksWaiting(waiting, batch.totalTasks, maxWaiting);
          if (refusal) throw refusal;
        }
        const written = await ledger.writeEntry(client, paid, account, now);
        await db.query(insertAlone, batchParams(batch, charge.idempotencyKey), client);
        return { ...written, batch: copyBatch(batch) };
      });
    } catch (error) {
      // Another transaction created the same id between our check and our insert.
      if (isUniqueViolation(error, 'batches_pkey')) throw idTaken(batch.batchId);
      throw error;
    }
  }

  return {
    loadBatch,
    createBatch,
    getBatch: (batchId: string) => loadBatch(batchId),
    async getTask(batchId: string, index: number): Promise<BatchTask | null> {
      const row = (await db.query<TaskRow>(SQL.task, [batchId, index]))[0];
      return row ? taskOf(row) : null;
    },
    async listBatches(username: string, page: PageRequest): Promise<Page<BatchSummary>> {
      const limit = pageLimit(page.limit);
      const rows = await db.query<BatchRow>(SQL.page, [username, numericCursor(page.cursor) ?? Number.MAX_SAFE_INTEGER, limit + 1]);
      const items = rows.slice(0, limit).map(summaryOfRow);
      return { items, nextCursor: rows.length > limit ? String(items.at(-1)!.createdAt) : null };
    },
    async listOpenTasks(limit: number): Promise<OpenTaskRef[]> {
      const rows = await db.query<{
        batch_id: string;
        username: string;
        idx: number;
        status: 'pending' | 'processing';
        attempts: number;
        lease_expires_at: string | null;
      }>(SQL.open, [Math.max(0, Math.floor(limit))]);
      return rows.map((r) => ({
        batchId: r.batch_id,
        username: r.username,
        index: r.idx,
        status: r.status,
        attempts: r.attempts,
        leaseExpiresAt: r.lease_expires_at === null ? null : num(r.lease_expires_at),
      }));
    },
  };
}

export type Batches = ReturnType<typeof createBatches>;
