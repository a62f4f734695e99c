import type { Database } from 'better-sqlite3';
import { type BackgroundCheckpoint, startBackgroundCheckpoint } from './background-checkpoint.js';
import { withBusyRetry } from './busy.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';

/** What every role of the SQLite adapter runs its statements through. */
export interface SqliteContext {
  st: Statements;
  /** A write in a group-committed `BEGIN IMMEDIATE` (atomic on its own), retried while another process holds the lock. */
  write<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => Promise<T>;
  /** A read of several statements from one snapshot. */
  read<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => Promise<T>;
  /** One statement, retried while the database is busy. */
  run<T>(fn: () => T): Promise<T>;
  /** Commits what is queued and stops the checkpoint thread; the group commit takes nothing afterwards. */
  drain(): Promise<void>;
}

/** How {@link openContext} sets up a handle. */
export interface ContextOptions {
  synchronous: 'normal' | 'full';
  busyTimeoutMs: number;
  giveUpMs: number;
  /** Run WAL checkpoints on a worker thread (see `background-checkpoint.ts`) instead of inside commits. */
  backgroundCheckpoint: boolean;
  /** Hears a checkpoint thread that could not start or failed (checkpoints then run inline). */
  onCheckpointError: (error: unknown) => void;
}

/** Pragmas, migrations and prepared statements on an open handle; throws when the file cannot be set up. */
export function openContext(db: Database, options: ContextOptions): SqliteContext {
  const { giveUpMs } = options;
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  openSync(db, options.synchronous, giveUpMs);
  const st = prepareStatements(db);
  const checkpoint: BackgroundCheckpoint | null = options.backgroundCheckpoint
    ? startBackgroundCheckpoint(db, options.onCheckpointError)
    : null;
  // Every path that may commit tells the thread: group commits, and single statements run on their own
  // (a read among those costs the thread at most one checkpoint that finds nothing to copy).
  const committed = checkpoint ? () => checkpoint.committed() : () => {};
  const group = new GroupCommit(db, giveUpMs, committed);
  return {
    st,
    write: (fn) => group.wrap(fn),
    read: (fn) => {
      const tx = db.transaction(fn);
      return (...args) => withBusyRetry(() => tx.deferred(...args), giveUpMs);
    },
    run: (fn) =>
      withBusyRetry(() => {
        const value = fn();
        committed();
        return value;
      }, giveUpMs),
    drain: async () => {
      await group.drain();
      await checkpoint?.stop();
    },
  };
}

/** Pragmas and migrations on open, retried like any write while another process holds the lock. */
function openSync(db: Database, synchronous: 'normal' | 'full', giveUpMs: number): void {
  const started = Date.now();
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() - started > giveUpMs) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}
