import type { TaskJob } from '../ports/dispatcher.js';

/** One key per task (batch and index), whatever the attempt: what the queue and the dispatcher dedupe and count by. */
export const jobKey = (job: TaskJob): string => `${job.batchId}\u0000${job.index}`;

/**
 * Jobs grouped by user, then by batch, handed out round-robin: each user in turn, and within a
 * user each batch in turn, so one user's ten tasks never wait behind another user's hundred.
 */
export class FairQueue {
  /** Users with queued jobs, in turn order. */
  readonly #users: string[] = [];
  readonly #byUser = new Map<string, { batches: string[]; jobs: Map<string, TaskJob[]> }>();
  readonly #queued = new Set<string>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a job; false when the same task is already queued. */
  push(job: TaskJob): boolean {
    const key = jobKey(job);
    if (this.#queued.has(key)) return false;
    this.#queued.add(key);
    let user = this.#byUser.get(job.username);
    if (!user) {
      user = { batches: [], jobs: new Map() };
      this.#byUser.set(job.username, user);
      this.#users.push(job.username);
    }
    let jobs = user.jobs.get(job.batchId);
    if (!jobs) {
      jobs = [];
      user.jobs.set(job.batchId, jobs);
      user.batches.push(job.batchId);
    }
    jobs.push(job);
    this.#size++;
    return true;
  }

  /** The next job in turn, or undefined when empty. */
  shift(): TaskJob | undefined {
    const username = this.#users.shift();
    if (username === undefined) return undefined;
    const user = this.#byUser.get(username)!;
    const batchId = user.batches.shift()!;
    const jobs = user.jobs.get(batchId)!;
    const job = jobs.shift()!;
    if (jobs.length > 0) user.batches.push(batchId);
    else user.jobs.delete(batchId);
    if (user.batches.length > 0) this.#users.push(username);
    else this.#byUser.delete(username);
    this.#queued.delete(jobKey(job));
    this.#size--;
    return job;
  }
}
