import type { StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { d1AdminQueries } from './admin-queries.js';
import { d1Batches } from './batches.js';
import { d1CancelTasks } from './cancel-tasks.js';
import type { D1Database } from './d1-types.js';
import { d1Idempotency } from './idempotency.js';
import { d1Ledger } from './ledger.js';
import { d1PendingGenerations } from './pending-generations.js';
import { d1Records } from './records.js';
import { migrateD1 } from './schema.js';

export type { D1Database, D1PreparedStatement, D1Result } from './d1-types.js';
export { migrateD1, SCHEMA_VERSION } from './schema.js';

/** Options of {@link createD1Storage}. */
export interface D1StorageOptions {
  /** The Worker's D1 binding (`env.DB`). */
  database: D1Database;
  /**
   * Bring the schema up to date on first use (one guarded batch per migration, safe when several
   * isolates start at once). Turn off when you apply migrations yourself with {@link migrateD1}. @default true
   */
  migrate?: boolean;
}

/**
 * Storage in Cloudflare D1 for Workers, in the SQLite adapter's schema. D1 has no interactive
 * transactions, so every atomic step is one `batch()`: a compare-and-set UPDATE with the writes
 * that depend on it guarded in SQL (`changes()`), or, where credits are planned (grants, refunds),
 * the writes planned from one read and sent behind guard statements that roll the batch back when
 * anyone wrote to that account or task since; the step then reads and plans again.
 *
 * @example
 * export default {
 *   fetch(request, env) {
 *     const storage = createD1Storage({ database: env.DB });
 *     // ...
 *   },
 * };
 */
export function createD1Storage(options: D1StorageOptions): StorageAdapter {
  const db = options.database;
  let ready: Promise<unknown> | null = options.migrate === false ? Promise.resolve() : null;
  const whenReady = (): Promise<unknown> => {
    ready ??= migrateD1(db).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };
  const roles = {
    ...d1Ledger(db),
    ...d1Batches(db),
    ...d1CancelTasks(db),
    ...d1Records(db),
    ...d1Idempotency(db),
    ...d1PendingGenerations(db),
    ...d1AdminQueries(db),
  };
  const adapter = Object.fromEntries(
    Object.entries(roles).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        await whenReady();
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as Omit<StorageAdapter, 'name' | 'close'>;
  return {
    name: 'd1',
    ...adapter,
    // The binding belongs to the Worker's runtime; there is nothing to release.
    async close() {},
  };
}
