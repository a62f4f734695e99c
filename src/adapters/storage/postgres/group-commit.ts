import type { Database } from './database.js';
import type { TaskWrite, TaskWriteResult, TaskWrites } from './task-writes.js';

interface Pending {
  write: TaskWrite;
  resolve: (result: TaskWriteResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the task transitions: the writes callers start while a group is being written
 * go out together in the next group, in one statement (see `task-writes.ts`; a transaction of
 * two or more when a task is named twice), so one WAL flush. Each write keeps its own meaning (a compare-and-set on its row)
 * and no promise settles before the COMMIT that holds its write, so a resolved write is as durable
 * as one committed alone. What a group saves is the flush and the round trips: on a disk that
 * syncs in milliseconds, a worker's claims, progress writes and completions otherwise wait for one
 * flush each.
 *
 * When a group fails, nothing of it was committed; its writes then run one by one so that an
 * error reaches only its own caller. One group is in flight at a time per instance.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;

  constructor(
    private readonly db: Database,
    private readonly writes: TaskWrites,
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
      await this.#write(group);
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
    }
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
