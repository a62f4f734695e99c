import type { Database } from 'better-sqlite3';
import type { AdminQueryStore, FailedTaskRef } from '../../../core/ports/storage-adapter.js';
import { failedTaskCursor, pageLimit, parseFailedTaskCursor } from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';

export interface FailedRow {
  batch_id: string;
  username: string;
  idx: number;
  attempts: number;
  error: string | null;
  completed_at: number;
}

/** The failed-task list's query parts, shared with the D1 adapter (a test checks the plan uses `tasks_failed`). */
export const FAILED_SELECT = `SELECT t.batch_id, b.username, t.idx, t.attempts, t.error, t.completed_at
  FROM tasks t JOIN batches b ON b.batch_id = t.batch_id`;
export const FAILED_ORDER = 'ORDER BY t.completed_at DESC, t.batch_id DESC, t.idx DESC LIMIT ?';
export const FAILED_FIRST = `${FAILED_SELECT} WHERE t.status = 'failed' ${FAILED_ORDER}`;
export const FAILED_AFTER = `${FAILED_SELECT} WHERE t.status = 'failed' AND (t.completed_at, t.batch_id, t.idx) < (?, ?, ?) ${FAILED_ORDER}`;

/** A page of failed tasks from up to `limit + 1` rows of the query above (the extra row says there is more). */
export function failedTaskPage(rows: FailedRow[], limit: number): { items: FailedTaskRef[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(
    (r): FailedTaskRef => ({
      batchId: r.batch_id,
      username: r.username,
      index: r.idx,
      attempts: r.attempts,
      error: r.error,
      failedAt: r.completed_at,
    }),
  );
  return { items, nextCursor: rows.length > limit ? failedTaskCursor(items.at(-1)!) : null };
}

/**
 * Operator queries. The failed-task list walks the partial index `tasks_failed` (failed tasks
 * only, by failure time, batch id and index; schema 7) backwards from the cursor: a page reads its own
 * rows, however many tasks there are.
 */
export function sqliteAdminQueries(db: Database, { run }: Pick<SqliteContext, 'run'>): AdminQueryStore {
  const first = db.prepare(FAILED_FIRST);
  const after = db.prepare(FAILED_AFTER);
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const from = parseFailedTaskCursor(page.cursor);
      const rows = await run(
        () => (from ? after.all(from.failedAt, from.batchId, from.index, limit + 1) : first.all(limit + 1)) as FailedRow[],
      );
      return failedTaskPage(rows, limit);
    },
  };
}
