import type { Database } from 'better-sqlite3';
import { sleep } from '../../../core/util/sleep.js';
import { isBusy } from './busy.js';

interface Pending {
  /** The write, bare. */
  run: () => unknown;
  /** The write inside a SAVEPOINT of its own. */
  isolated: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Thrown inside the bare run when one write failed, with its error: the transaction rolls back. */
class WriteFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Runs each write of a group, bare or in its own SAVEPOINT. A busy error aborts the whole group,
 * which is retried; any other error of a bare write too ({@link WriteFailed}), while an isolated
 * write that throws has rolled back to its savepoint and fails alone.
 */
function runEach(ops: Pending[], isolated: boolean): Outcome[] {
  return ops.map((op): Outcome => {
    try {
      return { ok: true, value: isolated ? op.isolated() : op.run() };
    } catch (error) {
      if (isBusy(error)) throw error;
      if (!isolated) throw new WriteFailed(error);
      return { ok: false, error };
    }
  });
}

/**
 * Group commit: the writes that callers start in the same turn of the event loop run in one
 * `BEGIN IMMEDIATE` transaction. Each write stays atomic on its own and no promise settles before
 * the COMMIT that holds its write, so a resolved write is as durable as with one transaction each.
 * Under load this turns thousands of commits into a few hundred, which is most of SQLite's cost.
 *
 * The writes run bare first: a SAVEPOINT and its RELEASE cost 1.6 µs a write, more than a
 * compare-and-set UPDATE. When one of them throws, the whole transaction rolls back and the group
 * runs again with each write inside its own SAVEPOINT, so the one that throws rolls back to it and
 * rejects alone. A write is a synchronous function of what the database holds, so running it
 * again after the rollback answers what the first run would have.
 *
 * When another process holds the write lock beyond `busy_timeout`, the group waits (yielding the
 * event loop) and runs again; after `giveUpMs` its writes reject with the SQLITE_BUSY error.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;
  #busySince: number | null = null;
  /** The group with each write bare; throws {@link WriteFailed} when one of them throws. */
  readonly #bare;
  /** The group with each write in its own SAVEPOINT; a write that throws rejects alone. */
  readonly #isolated;

  constructor(
    private readonly db: Database,
    private readonly giveUpMs: number,
    /** Called after each COMMIT. */
    private readonly onCommit: () => void,
    /** At most this many writes share one transaction. */
    private readonly maxGroup = 256,
  ) {
    this.#bare = db.transaction((ops: Pending[]) => runEach(ops, false));
    this.#isolated = db.transaction((ops: Pending[]) => runEach(ops, true));
  }

  /** Wraps a synchronous read-then-write so that calling it queues it for the next group. */
  wrap<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => Promise<T> {
    // Nested in the group's transaction, better-sqlite3 runs this inside a SAVEPOINT.
    const inSavepoint = this.db.transaction(fn);
    return (...args: A) =>
      new Promise<T>((resolve, reject) => {
        this.#queue.push({
          run: () => fn(...args),
          isolated: () => inSavepoint(...args),
          resolve: resolve as (v: unknown) => void,
          reject,
        });
        this.#schedule(0);
      });
  }

  /** Resolves once every write queued so far has been committed or rejected. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) await new Promise((resolve) => setImmediate(resolve));
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (delayMs === 0) setImmediate(this.#flush);
    else void sleep(delayMs).then(this.#flush);
  }

  #runGroup(ops: Pending[]): Outcome[] {
    try {
      return this.#bare.immediate(ops);
    } catch (error) {
      if (!(error instanceof WriteFailed)) throw error;
      // Alone, the rolled-back transaction was the write's own: nothing to run again.
      if (ops.length === 1) return [{ ok: false, error: error.error }];
      return this.#isolated.immediate(ops);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const ops = this.#queue.splice(0, this.maxGroup);
    if (ops.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.#runGroup(ops);
    } catch (error) {
      if (isBusy(error)) {
        this.#busySince ??= Date.now();
        const since = this.#busySince;
        if (Date.now() - since <= this.giveUpMs) {
          this.#queue.unshift(...ops);
          this.#schedule(5 + Math.random() * 20);
          return;
        }
      }
      this.#busySince = null;
      for (const op of ops) op.reject(error);
      if (this.#queue.length) this.#schedule(0);
      return;
    }
    this.#busySince = null;
    this.onCommit();
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.ok) ops[i]!.resolve(outcome.value);
      else ops[i]!.reject(outcome.error);
    }
    if (this.#queue.length) this.#schedule(0);
  };
}
