import type { AdminQueryStore } from '../../../core/ports/storage-adapter.js';
import { pageLimit, parseFailedTaskCursor } from '../../../core/storage-kit/index.js';
import { FAILED_AFTER, FAILED_FIRST, type FailedRow, failedTaskPage } from '../sqlite/admin-queries.js';
import type { D1Database } from './d1-types.js';
import { statement } from './sql.js';

/** Operator queries on D1, the SQLite adapter's: a page walks the partial index `tasks_failed` (schema 7). */
export function d1AdminQueries(db: D1Database): AdminQueryStore {
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const from = parseFailedTaskCursor(page.cursor);
      const query = from
        ? statement(db, FAILED_AFTER, [from.failedAt, from.batchId, from.index, limit + 1])
        : statement(db, FAILED_FIRST, [limit + 1]);
      const rows = (await query.all<FailedRow>()).results;
      return failedTaskPage(rows, limit);
    },
  };
}
