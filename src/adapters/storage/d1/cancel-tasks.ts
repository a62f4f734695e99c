import type {
  BatchStore,
  CancelledTask,
  CancelTasksResult,
  LedgerEntryInput,
  TaskCancellation,
} from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';
import { taskChargeKey, taskRefundEntry } from '../../../core/storage-kit/index.js';
import { type BatchRow, entryOf, type TaskRow, taskOf } from '../sqlite/rows.js';
import { SQL } from '../sqlite/statements.js';
import { batchFrom, loadStatements } from './batches.js';
import type { D1Database } from './d1-types.js';
import { guard, guardedStep } from './guard.js';
import { readWith } from './ledger.js';
import { statement } from './sql.js';

/**
 * The open tasks of a batch as `idx:status:attempts:chargeKey`, the shape a cancel planned on
 * (the charge key its refund gives back to: the retry's, else the batch's).
 */
const OPEN_TASKS = `SELECT COALESCE(group_concat(idx || ':' || status || ':' || attempts || ':' || charge_key, ','), '')
  FROM (SELECT idx, status, attempts, COALESCE(charge_key, (SELECT charge_key FROM batches WHERE batch_id = ?1), '') AS charge_key
    FROM tasks WHERE batch_id = ?1 AND status IN ('pending', 'processing') ORDER BY idx)`;

const shapeOf = (tasks: readonly TaskRow[], batch: BatchRow): string =>
  tasks
    .filter((t) => t.status === 'pending' || t.status === 'processing')
    .map((t) => `${t.idx}:${t.status}:${t.attempts}:${taskChargeKey(t.charge_key, batch.charge_key) ?? ''}`)
    .join(',');

/**
 * Cancel on D1: read the batch and the owner's credits, plan every open task in scope with its
 * refund, and write it all in one batch guarded by the batch's open tasks and the owner's journal
 * being as read.
 */
export function d1CancelTasks(db: D1Database): Pick<BatchStore, 'cancelTasks'> {
  return {
    cancelTasks: (batchId, { taskIndex, refundPending, refundProcessing, now }: TaskCancellation) =>
      guardedStep<CancelTasksResult | null>(db, async () => {
        const [batchResult, tasksResult] = await db.batch(loadStatements(db, batchId));
        const before = batchResult!.results[0] as unknown as BatchRow | undefined;
        if (!before) return { done: null };
        const tasks = tasksResult!.results as unknown as TaskRow[];
        const open = tasks.filter(
          (t) => (taskIndex === undefined || t.idx === taskIndex) && (t.status === 'pending' || t.status === 'processing'),
        );
        const refunds = new Map<number, LedgerEntryInput>();
        for (const t of open) {
          const refund = t.status === 'pending' ? refundPending : refundProcessing;
          if (refund && refund.amount > 0) {
            const chargeKey = taskChargeKey(t.charge_key, before.charge_key);
            refunds.set(t.idx, taskRefundEntry(refund, before.username, `${batchId}:${t.idx}`, t.attempts, chargeKey));
          }
        }
        const { state } = await readWith(db, before.username, [...refunds.values()]);
        const entries = new Map<number, LedgerEntry>();
        for (const [idx, input] of refunds) {
          const existing = state.entry(input.idempotencyKey);
          entries.set(idx, existing ? entryOf(existing) : state.apply(input, now).entry);
        }
        const cancels = open.map((t) => statement(db, SQL.cancelTask, { batch_id: batchId, idx: t.idx, now }));
        const counters = open.length > 0 ? [statement(db, SQL.cancelInBatch, { batch_id: batchId, cancelled: open.length, now })] : [];
        return {
          guards: [guard(db, `(${OPEN_TASKS}) = ?2`, [batchId, shapeOf(tasks, before)]), state.guard()],
          writes: [...cancels, ...counters, ...state.writes, ...loadStatements(db, batchId), statement(db, SQL.account, [before.username])],
          finish: (results) => {
            const cancelled: CancelledTask[] = open.map((t, i) => ({
              index: t.idx,
              was: t.status as 'pending' | 'processing',
              task: taskOf(results[i]!.results[0] as unknown as TaskRow),
              refund: entries.get(t.idx) ?? null,
            }));
            const batch = batchFrom(results.at(-3)!, results.at(-2)!)!;
            const balance = (results.at(-1)!.results[0] as { balance: number } | undefined)?.balance ?? 0;
            return { batch, cancelled, balance, batchCompleted: before.status !== 'completed' && batch.status === 'completed' };
          },
        };
      }),
  };
}
