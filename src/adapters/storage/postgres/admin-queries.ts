import type { AdminQueryStore, FailedTaskRef } from '../../../core/ports/storage-adapter.js';
import { failedTaskCursor, pageLimit, parseFailedTaskCursor } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';
import { num } from './rows.js';

/**
 * Operator queries. The failed-task list walks the partial index `tasks_failed` (failed tasks
 * only, by failure time, batch id and index; migration 4) backwards from the cursor: a page reads its own
 * rows, however many tasks there are.
 */
export function createAdminQueries(db: Database): AdminQueryStore {
  const select = `SELECT t.batch_id, b.username, t.idx, t.attempts, t.error, t.completed_at
    FROM ${db.table('tasks')} t JOIN ${db.table('batches')} b ON b.batch_id = t.batch_id`;
  const order = 'ORDER BY t.completed_at DESC, t.batch_id DESC, t.idx DESC LIMIT $1';
  const first = `${select} WHERE t.status = 'failed' ${order}`;
  const after = `${select} WHERE t.status = 'failed' AND (t.completed_at, t.batch_id, t.idx) < ($2, $3, $4) ${order}`;
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const from = parseFailedTaskCursor(page.cursor);
      const rows = await db.query<{
        batch_id: string;
        username: string;
        idx: number;
        attempts: number;
        error: string | null;
        completed_at: string;
      }>(from ? after : first, from ? [limit + 1, from.failedAt, from.batchId, from.index] : [limit + 1]);
      const items = rows.slice(0, limit).map(
        (r): FailedTaskRef => ({
          batchId: r.batch_id,
          username: r.username,
          index: r.idx,
          attempts: r.attempts,
          error: r.error,
          failedAt: num(r.completed_at),
        }),
      );
      return { items, nextCursor: rows.length > limit ? failedTaskCursor(items.at(-1)!) : null };
    },
  };
}
