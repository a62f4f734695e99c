import type { AdminQueryStore, FailedTaskRef } from '../../../core/ports/storage-adapter.js';
import { failedTaskCursor, pageLimit, parseFailedTaskCursor } from '../../../core/storage-kit/index.js';
import { FAILED_ORDER, FAILED_SELECT } from '../sqlite/admin-queries.js';
import type { D1Database } from './d1-types.js';
import { statement } from './sql.js';

interface FailedRow {
  batch_id: string;
  username: string;
  idx: number;
  attempts: number;
  error: string | null;
  completed_at: number;
}

const FIRST = `${FAILED_SELECT} WHERE t.status = 'failed' ${FAILED_ORDER}`;
const AFTER = `${FAILED_SELECT} WHERE t.status = 'failed' AND (t.completed_at, t.batch_id, t.idx) < (?, ?, ?) ${FAILED_ORDER}`;

/** Operator queries on D1, the SQLite adapter's: a page walks the partial index `tasks_failed` (schema 7). */
export function d1AdminQueries(db: D1Database): AdminQueryStore {
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const from = parseFailedTaskCursor(page.cursor);
      const query = from ? statement(db, AFTER, [from.failedAt, from.batchId, from.index, limit + 1]) : statement(db, FIRST, [limit + 1]);
      const rows = (await query.all<FailedRow>()).results;
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
    },
  };
}
