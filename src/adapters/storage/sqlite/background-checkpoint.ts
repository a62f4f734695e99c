import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * How many WAL pages the writing connection lets build up before it checkpoints in its own thread,
 * which only happens when the background thread falls that far behind (SQLite's default is 1000).
 */
export const BACKSTOP_PAGES = 10_000;

/** The fewest milliseconds between two background checkpoints; commits in between wait for the next. */
export const MIN_INTERVAL_MS = 100;

/** Flag values in the shared word the threads talk through. */
const IDLE = 0;
const WROTE = 1;
const STOP = 2;

/**
 * The worker, as CommonJS source so it runs the same from `src` and from either build. It blocks in
 * `Atomics.wait` until a commit is signalled, runs one PASSIVE checkpoint on its own connection, then
 * rests MIN_INTERVAL_MS so a stream of commits shares one checkpoint.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const flag = new Int32Array(workerData.flag);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
try {
  for (;;) {
    Atomics.wait(flag, 0, ${IDLE});
    if (Atomics.compareExchange(flag, 0, ${WROTE}, ${IDLE}) === ${STOP}) break;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      if (!String(error && error.code).startsWith('SQLITE_BUSY')) throw error;
    }
    Atomics.wait(flag, 1, 0, workerData.minIntervalMs);
    if (Atomics.load(flag, 0) === ${STOP}) break;
  }
} finally {
  db.close();
}
`;

/** A checkpointing thread of one database file; see {@link startBackgroundCheckpoint}. */
export interface BackgroundCheckpoint {
  /** Tells the thread a transaction committed: cheap, and a no-op while a checkpoint is already due. */
  committed(): void;
  /** Stops the thread, waits for it to close its connection, and gives `db` back the threshold it had. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop. A checkpoint copies the WAL's pages into the database file
 * and syncs both, which blocks for milliseconds of disk time; inline, SQLite runs one every 1000 pages
 * inside a COMMIT, stalling every write queued behind it. Here a worker thread with its own connection
 * runs PASSIVE checkpoints (which never block readers or the writer) after commits, and `db` only
 * checkpoints itself past BACKSTOP_PAGES, should the thread fall behind or fail.
 *
 * Answers null (and leaves `db` as it was) when a thread cannot be started; `onError` hears a thread
 * that failed later, after which `db` checkpoints inline again, at the threshold it had before.
 */
export function startBackgroundCheckpoint(db: Database, onError: (error: unknown) => void): BackgroundCheckpoint | null {
  if (db.memory || db.readonly) return null;
  const shared = new SharedArrayBuffer(8);
  const flag = new Int32Array(shared);
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        file: db.name,
        flag: shared,
        minIntervalMs: MIN_INTERVAL_MS,
      },
    });
  } catch (error) {
    onError(error);
    return null;
  }
  // A process that never closes its storage still exits.
  worker.unref();
  const ownThreshold = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const checkpointInline = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${ownThreshold}`);
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (error) => {
    Atomics.store(flag, 0, STOP);
    checkpointInline();
    onError(error);
  });
  let stopping: Promise<void> | null = null;
  return {
    committed() {
      if (Atomics.compareExchange(flag, 0, IDLE, WROTE) === IDLE) Atomics.notify(flag, 0);
    },
    stop() {
      stopping ??= (async () => {
        // Unreferenced, the thread alone would not keep the process up until its exit.
        worker.ref();
        Atomics.store(flag, 0, STOP);
        Atomics.notify(flag, 0);
        Atomics.notify(flag, 1);
        await exited;
        checkpointInline();
      })();
      return stopping;
    },
  };
}
