import type { Database } from 'better-sqlite3';
import { sleep } from '../../../core/util/sleep.js';
import { isBusy } from './busy.js';

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the writes that callers start in the same turn of the event loop run in one
 * `BEGIN IMMEDIATE` transaction, each inside its own SAVEPOINT. Each write stays atomic on its own
 * (one that throws rolls back to its savepoint and rejects alone) and no promise settles before
 * the COMMIT that holds its write, so a resolved write is as durable as with one transaction each.
 * Under load this turns thousands of commits into a few hundred, which is most of SQLite's cost.
 *
 * When another process holds the write lock beyond `busy_timeout`, the group waits (yielding the
 * event loop) and runs again; after `giveUpMs` its writes reject with the SQLITE_BUSY error.
 */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;
  #busySince: number | null = null;
  readonly #group;

  constructor(
    private readonly db: Database,
    private readonly giveUpMs: number,
    /** Called after each COMMIT. */
    private readonly onCommit: () => void,
    /** At most this many writes share one transaction. */
    private readonly maxGroup = 256,
  ) {
    this.#group = db.transaction((ops: Pending[]) => {
      const outcomes: Outcome[] = [];
      for (const op of ops) {
        try {
          outcomes.push({ ok: true, value: op.run() });
        } catch (error) {
          // A busy error inside the group aborts the whole group, which is retried.
          if (isBusy(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    });
  }

  /** Wraps a synchronous read-then-write so that calling it queues it for the next group. */
  wrap<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => Promise<T> {
    // Nested in the group's transaction, better-sqlite3 runs this inside a SAVEPOINT.
    const inSavepoint = this.db.transaction(fn);
    return (...args: A) =>
      new Promise<T>((resolve, reject) => {
        this.#queue.push({ run: () => inSavepoint(...args), resolve: resolve as (v: unknown) => void, reject });
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

  readonly #flush = (): void => {
    this.#scheduled = false;
    const ops = this.#queue.splice(0, this.maxGroup);
    if (ops.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.#group.immediate(ops);
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
