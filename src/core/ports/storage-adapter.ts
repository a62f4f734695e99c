import type { AdminQueryStore } from './storage/admin-query-store.js';
import type { BatchStore } from './storage/batch-store.js';
import type { IdempotencyStore } from './storage/idempotency-store.js';
import type { LedgerStore } from './storage/ledger-store.js';
import type { PendingGenerationStore } from './storage/pending-generation-store.js';
import type { RecordStore } from './storage/record-store.js';

export type * from './storage/index.js';

/**
 * Where batches, tasks, records and the credit journal live: every role in one adapter. Every
 * method is atomic on its own: adapters implement each with one transaction (SQLite `BEGIN
 * IMMEDIATE`), one Lua script (Redis) or one synchronous step (memory). The services never do
 * read-modify-write across two calls where money or task state is involved.
 *
 * Each member's one-line rule is what the conformance suite (`runStorageConformance` in
 * `imagegen-kit/adapter-kit`) checks.
 */
export interface StorageAdapter extends LedgerStore, BatchStore, RecordStore, IdempotencyStore, PendingGenerationStore, AdminQueryStore {
  /** A short name for logs and benchmarks (`memory`, `sqlite`, `redis`). */
  readonly name: string;
  /** Releases connections. The adapter is unusable afterwards. */
  close(): Promise<void>;
}
