import type { AdminQueryStore, FailedTaskRef } from '../../../core/ports/storage-adapter.js';
import {
  compareFailedTasks,
  failedTaskCursor,
  isAfterPosition,
  pageLimit,
  parseFailedTaskCursor,
} from '../../../core/storage-kit/index.js';
import type { MemoryState } from './state.js';

/** Operator queries over the memory adapter's maps: each one scans every batch (this adapter is for tests and small hosts). */
export function memoryAdminQueries(state: MemoryState): AdminQueryStore {
  return {
    async listFailedTasks(page) {
      const limit = pageLimit(page.limit);
      const after = parseFailedTaskCursor(page.cursor);
      const failed: FailedTaskRef[] = [];
      for (const batch of state.batches.values()) {
        for (const [index, task] of batch.tasks.entries()) {
          if (task.status !== 'failed') continue;
          const ref: FailedTaskRef = {
            batchId: batch.batchId,
            username: batch.username,
            index,
            attempts: task.attempts,
            error: task.error,
            failedAt: task.completedAt ?? task.createdAt,
          };
          if (isAfterPosition(ref, after)) failed.push(ref);
        }
      }
      failed.sort(compareFailedTasks);
      const items = failed.slice(0, limit);
      return { items, nextCursor: failed.length > limit ? failedTaskCursor(items.at(-1)!) : null };
    },
  };
}
