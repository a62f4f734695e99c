/** Which task to run. Storage stays the source of truth; a job is only a pointer. */
export interface TaskJob {
  batchId: string;
  index: number;
  username: string;
}

/** Runs one job; resolves when the task has ended or was found already taken. */
export type TaskRunner = (job: TaskJob) => Promise<void>;

/**
 * Decides who runs which task when. The in-process dispatcher queues in memory; a distributed one
 * (BullMQ) puts jobs on Redis and runs them in worker processes.
 */
export interface Dispatcher {
  /** Starts running jobs with `runner`. Jobs enqueued before `start` wait. */
  start(runner: TaskRunner): Promise<void> | void;
  /** Queues jobs. Enqueuing a job that is already queued must be harmless. */
  enqueue(jobs: TaskJob[]): Promise<void>;
  /** Stops taking jobs; running ones get until `graceMs` to end. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Resolves when nothing is queued or running (in-process only; others may resolve at once). */
  onIdle?(): Promise<void>;
}
