import type { Database } from './database.js';
import type { TaskWrite, TaskWriteResult, TaskWrites } from './task-writes.js';

interface Pending {
  write: TaskWrite;
  resolve: (result: TaskWriteResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the task transitions: the writes callers start while groups are being written
 * go out together in the next group, in one statement (see `task-writes.ts`; a transaction of
 * two or more when a task is named twice), so one WAL flush. Each write keeps its own meaning (a compare-and-set on its row)
 * and no promise settles before the COMMIT that holds its write, so a resolved write is as durable
 * as one committed alone. What a group saves is the flush and the round trips: on a disk that
 * syncs in milliseconds, a worker's claims, progress writes and completions otherwise wait for one
 * flush each.
 *
 * Up to `maxInFlight` groups are written at once, on their own connections, and no two of them
 * name the same batch: a write whose batch is in a group in flight waits for that group. So two
 * groups never wait on each other's row locks (nor deadlock on them), the writes of one task stay
 * in the order they came in, and a write for an idle batch goes out at once instead of waiting
 * for a group that holds other batches.
 *
 * When a group fails, nothing of it was committed; its writes then run one by one so that an
 * error reaches only its own caller.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  /** Batches named by a group in flight. */
  readonly #busy = new Set<string>();
  #inFlight = 0;
  #scheduled = false;

  constructor(
    private readonly db: Database,
    private readonly writes: TaskWrites,
    /** Groups written at once, each on its own connection. */
    private readonly maxInFlight: number,
    /** At most this many writes share one transaction. */
    private readonly maxGroup = 500,
  ) {}

  /** Queues one write for the next group; resolves with its answer once the group committed. */
  run(write: TaskWrite): Promise<TaskWriteResult> {
    return new Promise<TaskWriteResult>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every write queued so far has been committed or rejected. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0 || this.#scheduled) await new Promise((resolve) => setImmediate(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.maxInFlight && this.#queue.length > 0) {
      const group = this.#take();
      if (group.length === 0) return;
      const batches = new Set(group.map((p) => p.write.batchId));
      for (const batchId of batches) this.#busy.add(batchId);
      this.#inFlight++;
      void this.#write(group).finally(() => {
        for (const batchId of batches) this.#busy.delete(batchId);
        this.#inFlight--;
        if (this.#queue.length > 0) this.#schedule();
      });
    }
  }

  /** The queued writes of batches no group in flight names, in the order they came, up to `maxGroup`. */
  #take(): Pending[] {
    const group: Pending[] = [];
    const rest: Pending[] = [];
    for (const pending of this.#queue) {
      if (group.length < this.maxGroup && !this.#busy.has(pending.write.batchId)) group.push(pending);
      else rest.push(pending);
    }
    this.#queue = rest;
    return group;
  }

  async #write(group: Pending[]): Promise<void> {
    const writes = group.map((p) => p.write);
    let results: TaskWriteResult[];
    try {
      // One statement is atomic alone; more share a transaction.
      results =
        this.writes.statementsFor(writes) === 1
          ? await this.writes.writeAll(writes, this.db.pool)
          : await this.db.transaction((client) => this.writes.writeAll(writes, client));
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      await Promise.all(group.map((p) => this.#write([p])));
      return;
    }
    for (const [i, p] of group.entries()) p.resolve(results[i]!);
  }
}
