import type { QueryResultRow } from 'pg';
import type { Database, Params } from './database.js';

interface Pending {
  text: string;
  params: Params;
  /** Statements of one group run in this order, so every group takes its row locks in the same order. */
  lockOrder: string;
  resolve: (rows: QueryResultRow[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the task transitions: the statements callers start while a group is being
 * written go out together in the next group, one transaction, one WAL flush. Each statement keeps
 * its own meaning (it is still the one conditional UPDATE it was, run in turn inside the
 * transaction) and no promise settles before the COMMIT that holds its write, so a resolved write
 * is as durable as one committed alone. What a group saves is the flush: on a disk that syncs in
 * milliseconds, a worker's claims, progress writes and completions otherwise wait for one flush
 * each.
 *
 * A group of one runs as a plain statement. When a group fails (a statement errors and aborts the
 * transaction), nothing of it was committed, and its statements run again one by one so that the
 * error reaches only its own caller. One group is in flight at a time; the pool's other
 * connections serve reads and credits meanwhile.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;

  constructor(
    private readonly db: Database,
    /** At most this many statements share one transaction. */
    private readonly maxGroup = 200,
  ) {}

  /** Runs one statement in the next group and resolves with its rows once the group committed. */
  run<R extends QueryResultRow>(text: string, params: Params, lockOrder: string): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.#queue.push({ text, params, lockOrder, resolve: resolve as (rows: QueryResultRow[]) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves once every statement queued so far has been committed or rejected. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#running || this.#scheduled) await new Promise((resolve) => setImmediate(resolve));
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const group = this.#queue.splice(0, this.maxGroup);
    if (group.length === 0) return;
    this.#running = true;
    try {
      if (group.length === 1) await this.#alone(group[0]!);
      else await this.#together(group);
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  async #together(group: Pending[]): Promise<void> {
    // Stable: two statements about one task keep the order they were started in.
    const ordered = group
      .map((op, arrival) => ({ op, arrival }))
      .sort((a, b) => (a.op.lockOrder < b.op.lockOrder ? -1 : a.op.lockOrder > b.op.lockOrder ? 1 : a.arrival - b.arrival))
      .map(({ op }) => op);
    let results: QueryResultRow[][];
    try {
      results = await this.db.transaction(async (client) => {
        const rows: QueryResultRow[][] = [];
        for (const op of ordered) rows.push(await this.db.query(op.text, op.params, client));
        return rows;
      });
    } catch {
      await Promise.all(ordered.map((op) => this.#alone(op)));
      return;
    }
    for (const [i, op] of ordered.entries()) op.resolve(results[i]!);
  }

  async #alone(op: Pending): Promise<void> {
    try {
      op.resolve(await this.db.query(op.text, op.params));
    } catch (error) {
      op.reject(error);
    }
  }
}
