import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Logger } from '../../../core/options.js';
import type { StorageAdapter } from '../../../core/ports/storage-adapter.js';
import { consoleLogger } from '../../../core/util/console-logger.js';
import { sqliteAdminQueries } from './admin-queries.js';
import { sqliteBatches } from './batches.js';
import { sqliteCancelTasks } from './cancel-tasks.js';
import { openContext, type SqliteContext } from './connection.js';
import { sqliteIdempotency } from './idempotency.js';
import { sqliteLedger } from './ledger.js';
import { sqlitePendingGenerations } from './pending-generations.js';
import { sqliteRecords } from './records.js';

export { SCHEMA_VERSION, migrate } from './schema.js';

/** Options of {@link createSqliteStorage}: a file path, or a better-sqlite3 handle you own. */
export type SqliteStorageOptions = ({ path: string; database?: never } | { database: Database; path?: never }) & {
  /**
   * How long one statement waits for another process's write lock before the adapter retries it
   * (SQLite `busy_timeout`). @default 5000
   */
  busyTimeoutMs?: number;
  /** After this long of retrying a busy database, the SQLITE_BUSY error surfaces. @default 60000 */
  giveUpAfterMs?: number;
  /**
   * `normal` keeps every committed write across a crash of the process (WAL); after a power loss
   * the last commits may roll back. `full` syncs the WAL on each commit. @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /**
   * Where WAL checkpoints run. `background`: a worker thread with its own connection runs them after
   * commits, so the disk syncs of a checkpoint never stall the event loop (the writing connection still
   * checkpoints itself if the WAL passes 10,000 pages, about 40 MB). `inline`: SQLite's default, inside
   * the COMMIT that passes 1,000 pages. @default 'background' with `path`, 'inline' with `database`
   * (whose `wal_autocheckpoint` the adapter then leaves alone)
   */
  checkpoint?: 'background' | 'inline';
  /** Hears a checkpoint thread that could not start or failed; checkpoints then run inline. @default console */
  logger?: Logger;
};

/**
 * Storage in one SQLite file (better-sqlite3, WAL). Several processes on one host may share the
 * file: every read-then-write runs in `BEGIN IMMEDIATE`, and a busy lock is waited for
 * (`busy_timeout`) and retried, so callers never see SQLITE_BUSY. Tasks are rows keyed by
 * (batch id, index), so a transition writes one task row and its batch's counters.
 *
 * @example
 * const storage = createSqliteStorage({ path: './imagegen.db' });
 */
export function createSqliteStorage(options: SqliteStorageOptions): StorageAdapter {
  const owned = !options.database;
  const db: Database = options.database ?? new BetterSqlite3(options.path!, { timeout: options.busyTimeoutMs ?? 5000 });
  let cx: SqliteContext;
  try {
    const logger = options.logger ?? consoleLogger();
    cx = openContext(db, {
      synchronous: options.synchronous ?? 'normal',
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      giveUpMs: options.giveUpAfterMs ?? 60_000,
      backgroundCheckpoint: (options.checkpoint ?? (owned ? 'background' : 'inline')) === 'background',
      onCheckpointError: (error) =>
        logger.error('sqlite storage: checkpoint thread failed; checkpoints run inline', { error: String(error) }),
    });
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  return {
    name: 'sqlite',
    ...sqliteLedger(cx),
    ...sqliteBatches(cx),
    ...sqliteCancelTasks(cx),
    ...sqliteRecords(cx),
    ...sqliteIdempotency(cx),
    ...sqlitePendingGenerations(cx),
    ...sqliteAdminQueries(db, cx),
    async close() {
      await cx.drain();
      if (owned && db.open) db.close();
    },
  };
}
