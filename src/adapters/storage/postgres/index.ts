import pg from 'pg';
import type { Pool } from 'pg';
import type { StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { createAdminQueries } from './admin-queries.js';
import { createBatches } from './batches.js';
import { createCancelTasks } from './cancel-tasks.js';
import { Database } from './database.js';
import { createIdempotency } from './idempotency.js';
import { createLedger } from './ledger.js';
import { migrate } from './migrations.js';
import { createPendingGenerations } from './pending-generations.js';
import { createRecords } from './records.js';
import { createTaskStore } from './task-store.js';

export { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

/** Where the adapter connects: a `pg.Pool` you own (and close), or a connection string for a pool the adapter owns. */
export type PostgresConnection =
  | {
      /** A node-postgres pool (the one Drizzle, Knex, Kysely or Prisma's pg adapter already hold). Closing it is yours. */
      pool: Pool;
      connectionString?: never;
    }
  | {
      /** `postgres://user:password@host:5432/database`: the adapter creates a pool and ends it in `close()`. */
      connectionString: string;
      pool?: never;
      /** Connections of the pool the adapter creates. @default 10 */
      maxConnections?: number;
    };

export type PostgresStorageOptions = PostgresConnection & {
  /**
   * The schema every table lives in, created when absent. Separate schemas isolate tenants and
   * test runs in one database. A plain identifier: letters, digits and `_`. @default 'imagegen'
   */
  schema?: string;
  /**
   * Send each statement as a named prepared statement (parsed and planned once per connection).
   * Turn off behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   * @default true
   */
  preparedStatements?: boolean;
  /**
   * Groups of task writes sent at once, each on its own connection. One makes the largest groups
   * and the fewest statements, which is what a busy database's CPU wants; more let a write for an
   * idle batch go out without waiting for a group in flight. @default 1
   */
  groupsInFlight?: number;
};

/**
 * Storage in PostgreSQL (node-postgres). Opening it creates the schema and applies the missing
 * migrations under an advisory lock, so several processes may open one database at once. Every
 * method is one statement or one transaction that locks the rows it reads before it writes (the
 * account row for a credit, the task row for a retry), so any number of processes on any number
 * of hosts may share the database. Task transitions are compare-and-set writes (status and
 * attempts must match) that move the batch row in the same statement; those started while
 * another group is being written are group-committed, one statement and one WAL flush for many,
 * none acknowledged before its commit. Every write waits for the flush: credits and tasks
 * survive what the database survives.
 *
 * @example
 * const storage = await createPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * @example
 * // A pool the host already has:
 * const storage = await createPostgresStorage({ pool, schema: 'imagegen' });
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<StorageAdapter> {
  const groupsInFlight = options.groupsInFlight ?? 1;
  if (!Number.isInteger(groupsInFlight) || groupsInFlight < 1) {
    throw new RangeError(`imagegen-kit: groupsInFlight must be a whole number of at least 1, got ${String(options.groupsInFlight)}`);
  }
  const owned = !options.pool;
  const pool: Pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // A connection that drops while idle is discarded by the pool; the next query opens another.
  if (owned) pool.on('error', () => {});
  let db: Database;
  try {
    db = new Database(pool, options.schema ?? 'imagegen', options.preparedStatements ?? true);
    await migrate(db);
  } catch (error) {
    if (owned) await pool.end();
    throw error;
  }

  const ledger = createLedger(db);
  const batches = createBatches(db, ledger);
  const tasks = createTaskStore(db, ledger, groupsInFlight);
  const cancel = createCancelTasks(db, ledger, batches);
  const records = createRecords(db);
  const idempotency = createIdempotency(db);
  const pending = createPendingGenerations(db);
  let closed = false;

  return {
    name: 'postgres',

    applyLedgerEntry: ledger.applyLedgerEntry,
    getBalance: ledger.getBalance,
    getLedgerEntry: ledger.getLedgerEntry,
    listLedger: ledger.listLedger,
    listGrants: ledger.listGrants,

    createBatch: batches.createBatch,
    getBatch: batches.getBatch,
    getTask: batches.getTask,
    listBatches: batches.listBatches,
    claimTask: tasks.claimTask,
    updateTaskProgress: tasks.updateTaskProgress,
    completeTask: tasks.completeTask,
    failTask: tasks.failTask,
    retryTask: tasks.retryTask,
    cancelTasks: cancel.cancelTasks,
    listOpenTasks: batches.listOpenTasks,

    createRecord: records.createRecord,
    getRecord: records.getRecord,
    listRecords: records.listRecords,

    beginIdempotent: idempotency.beginIdempotent,
    completeIdempotent: idempotency.completeIdempotent,
    abandonIdempotent: idempotency.abandonIdempotent,

    putPendingGeneration: pending.putPendingGeneration,
    deletePendingGeneration: pending.deletePendingGeneration,
    listPendingGenerations: pending.listPendingGenerations,

    ...createAdminQueries(db),

    async close() {
      if (closed) return;
      closed = true;
      await tasks.drain();
      if (owned) await pool.end();
    },
  };
}
