import type {
  BatchRecord,
  BatchSummary,
  BatchTask,
  GenerationRecord,
  LedgerEntry,
  TaskStatus,
  BatchStatus,
  LedgerKind,
} from '../../../core/schemas/records.js';

export interface LedgerRow {
  username: string;
  seq: number;
  kind: string;
  amount: number;
  balance_after: number;
  idempotency_key: string;
  reference: string | null;
  reason: string | null;
  fingerprint: string | null;
  created_at: number;
}

export interface BatchRow {
  batch_id: string;
  username: string;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
  status: string;
  created_at: number;
  updated_at: number;
  /** The key of the charge that paid for the batch (null in rows written before schema 7). */
  charge_key?: string | null;
}

export interface TaskRow {
  batch_id: string;
  idx: number;
  prompt: string;
  params: string;
  status: string;
  progress: number;
  result: string | null;
  error: string | null;
  created_at: number;
  attempts: number;
  started_at: number | null;
  completed_at: number | null;
  provider_request_id: string | null;
  lease_expires_at: number | null;
  /** The key of the task's last retry charge; null until it is retried. */
  charge_key?: string | null;
}

export const entryOf = (row: LedgerRow): LedgerEntry => ({
  seq: row.seq,
  username: row.username,
  kind: row.kind as LedgerKind,
  amount: row.amount,
  balanceAfter: row.balance_after,
  idempotencyKey: row.idempotency_key,
  reference: row.reference,
  reason: row.reason,
  createdAt: row.created_at,
});

export const summaryOfRow = (row: BatchRow): BatchSummary => ({
  batchId: row.batch_id,
  totalTasks: row.total_tasks,
  completedTasks: row.completed_tasks,
  failedTasks: row.failed_tasks,
  cancelledTasks: row.cancelled_tasks,
  status: row.status as BatchStatus,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const taskOf = (row: TaskRow): BatchTask => ({
  taskId: `${row.batch_id}:${row.idx}`,
  prompt: row.prompt,
  params: JSON.parse(row.params) as BatchTask['params'],
  status: row.status as TaskStatus,
  progress: row.progress,
  result: row.result === null ? null : (JSON.parse(row.result) as BatchTask['result']),
  error: row.error,
  createdAt: row.created_at,
  attempts: row.attempts,
  startedAt: row.started_at,
  completedAt: row.completed_at,
  providerRequestId: row.provider_request_id,
  leaseExpiresAt: row.lease_expires_at,
});

export const batchOf = (row: BatchRow, tasks: TaskRow[]): BatchRecord => {
  const { batchId, ...counts } = summaryOfRow(row);
  return { batchId, username: row.username, tasks: tasks.map(taskOf), ...counts };
};

export const taskRowOf = (batchId: string, idx: number, task: BatchTask): TaskRow => ({
  batch_id: batchId,
  idx,
  prompt: task.prompt,
  params: JSON.stringify(task.params),
  status: task.status,
  progress: task.progress,
  result: task.result ? JSON.stringify(task.result) : null,
  error: task.error,
  created_at: task.createdAt,
  attempts: task.attempts,
  started_at: task.startedAt,
  completed_at: task.completedAt,
  provider_request_id: task.providerRequestId,
  lease_expires_at: task.leaseExpiresAt,
});

export const recordOf = (data: string): GenerationRecord => JSON.parse(data) as GenerationRecord;
