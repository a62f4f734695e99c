import type {
  BatchRecord,
  BatchStatus,
  BatchSummary,
  BatchTask,
  LedgerEntry,
  LedgerKind,
  TaskStatus,
} from '../../../core/schemas/records.js';

/**
 * Rows as the `pg` driver returns them. BIGINT columns arrive as strings (the driver does not
 * guess at precision); they hold milliseconds and credits, far below 2^53, and are read back with
 * {@link num}. The adapter sets no global type parser, so a pool the host shares is left as it is.
 */
type Big = string;

export interface LedgerRow {
  username: string;
  seq: Big;
  kind: string;
  amount: Big;
  balance_after: Big;
  idempotency_key: string;
  reference: string | null;
  reason: string | null;
  fingerprint: string | null;
  created_at: Big;
}

export interface BatchRow {
  batch_id: string;
  username: string;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
  status: string;
  created_at: Big;
  updated_at: Big;
}

export interface TaskRow {
  batch_id: string;
  idx: number;
  prompt: string;
  params: BatchTask['params'];
  status: string;
  progress: number;
  result: BatchTask['result'];
  error: string | null;
  created_at: Big;
  attempts: number;
  started_at: Big | null;
  completed_at: Big | null;
  provider_request_id: string | null;
  lease_expires_at: Big | null;
}

/** A BIGINT (or a count) as a number. */
export const num = (value: Big | number): number => Number(value);
const numOrNull = (value: Big | null): number | null => (value === null ? null : Number(value));

export const entryOf = (row: LedgerRow): LedgerEntry => ({
  seq: num(row.seq),
  username: row.username,
  kind: row.kind as LedgerKind,
  amount: num(row.amount),
  balanceAfter: num(row.balance_after),
  idempotencyKey: row.idempotency_key,
  reference: row.reference,
  reason: row.reason,
  createdAt: num(row.created_at),
});

export const summaryOfRow = (row: BatchRow): BatchSummary => ({
  batchId: row.batch_id,
  totalTasks: row.total_tasks,
  completedTasks: row.completed_tasks,
  failedTasks: row.failed_tasks,
  cancelledTasks: row.cancelled_tasks,
  status: row.status as BatchStatus,
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
});

export const taskOf = (row: TaskRow): BatchTask => ({
  taskId: `${row.batch_id}:${row.idx}`,
  prompt: row.prompt,
  params: row.params,
  status: row.status as TaskStatus,
  progress: row.progress,
  result: row.result,
  error: row.error,
  createdAt: num(row.created_at),
  attempts: row.attempts,
  startedAt: numOrNull(row.started_at),
  completedAt: numOrNull(row.completed_at),
  providerRequestId: row.provider_request_id,
  leaseExpiresAt: numOrNull(row.lease_expires_at),
});

export const batchOf = (row: BatchRow, tasks: TaskRow[]): BatchRecord => {
  const { batchId, ...counts } = summaryOfRow(row);
  return { batchId, username: row.username, tasks: tasks.map(taskOf), ...counts };
};

/** A batch's tasks as the JSON array `jsonb_to_recordset` turns into task rows in one INSERT. */
export const taskRowsJson = (batch: BatchRecord): string =>
  JSON.stringify(
    batch.tasks.map((task, idx) => ({
      idx,
      prompt: task.prompt,
      params: task.params,
      status: task.status,
      progress: task.progress,
      result: task.result,
      error: task.error,
      created_at: task.createdAt,
      attempts: task.attempts,
      started_at: task.startedAt,
      completed_at: task.completedAt,
      provider_request_id: task.providerRequestId,
      lease_expires_at: task.leaseExpiresAt,
    })),
  );

/** The columns of a task row, in the order `TaskRow` names them (for `RETURNING` and `SELECT`). */
export const TASK_COLUMNS =
  'batch_id, idx, prompt, params, status, progress, result, error, created_at, attempts, started_at, completed_at, provider_request_id, lease_expires_at';
