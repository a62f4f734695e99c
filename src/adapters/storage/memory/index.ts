import type { StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { memoryAdminQueries } from './admin-queries.js';
import { memoryBatches } from './batches.js';
import { memoryCancelTasks } from './cancel-tasks.js';
import { memoryIdempotency } from './idempotency.js';
import { memoryLedger } from './ledger.js';
import { memoryPendingGenerations } from './pending-generations.js';
import { memoryRecords } from './records.js';
import { createMemoryState } from './state.js';

/**
 * Storage in this process's memory. Every method runs synchronously between two awaits, so each
 * is atomic with respect to every other call in this process; nothing is shared across processes
 * and nothing survives a restart. For tests, demos and single-process hosts that keep nothing.
 */
export function createMemoryStorage(): StorageAdapter {
  const state = createMemoryState();
  return {
    name: 'memory',
    ...memoryLedger(state),
    ...memoryBatches(state),
    ...memoryCancelTasks(state),
    ...memoryRecords(state),
    ...memoryIdempotency(),
    ...memoryPendingGenerations(),
    ...memoryAdminQueries(state),
    async close() {},
  };
}
