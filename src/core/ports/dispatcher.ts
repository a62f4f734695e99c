/** Which task to run. Storage stays the source of truth; a job is only a pointer. */
export interface TaskJob {
  batchId: string;
  index: number;
  username: string;
  /**
   * The task's claim count when it was queued (0 at submit, the failed run's count on retry).
   * A distributed dispatcher makes it part of the job id: enqueuing the same job twice is one job,
   * while a retry of a failed task is a new one.
   */
  attempt?: number;
  /** W3C `traceparent` of the span that queued the job (with telemetry), so its run joins that trace. */
  traceparent?: string;
}

/**
 * What became of a job:
 * - `done`: the task ended, or was found ended, or is not this job's to run;
 * - `busy`: the task is `processing` under a live lease (another worker holds it); look again at
 *   `retryAt` (epoch ms), when the lease runs out unless its holder renews it;
 * - `interrupted`: this process is shutting down; the task stays `processing` with its lease
 *   released, so the next worker that gets the job takes it over at once.
 */
export type TaskRunOutcome = { state: 'done'; ran?: TaskRunReport } | { state: 'busy'; retryAt: number } | { state: 'interrupted' };

/** What a run that got to the provider did, for traces and metrics (dispatchers ignore it). */
export interface TaskRunReport {
  attempt: number;
  outcome: 'completed' | 'failed' | 'cancelled' | 'lost';
  /** The provider's request id as stored (may carry the key's fingerprint, never the key). */
  requestId: string | null;
}

/** What a dispatcher may hand a run besides its job. */
export interface TaskRunHooks {
  /**
   * Called once the run no longer needs its concurrency slot: its provider work is over and only
   * the write that ends the task is left. A dispatcher may start the next job then, so that the
   * next claim and this end share a round trip; the run's promise still settles after the end.
   */
  releaseSlot?: () => void;
}

/** Runs one job; resolves when the task has ended or was found already taken. */
export type TaskRunner = (job: TaskJob, hooks?: TaskRunHooks) => Promise<TaskRunOutcome | void>;

/**
 * Decides who runs which task when. The in-process dispatcher queues in memory; a distributed one
 * (BullMQ) puts jobs on Redis and runs them in worker processes.
 */
export interface Dispatcher {
  /**
   * True when other processes share the queue: a starting engine then never takes over a
   * `processing` task by its claim number (its worker may be alive elsewhere), only once its lease
   * has run out.
   */
  readonly distributed?: boolean;
  /** Starts running jobs with `runner`. Jobs enqueued before `start` wait. */
  start(runner: TaskRunner): Promise<void> | void;
  /** Queues jobs. Enqueuing a job that is already queued must be harmless. */
  enqueue(jobs: TaskJob[]): Promise<void>;
  /** Stops taking jobs; running ones get until `graceMs` to end. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Releases connections once the engine has interrupted the runs still going after `stop`. */
  close?(): Promise<void>;
  /** Resolves when nothing is queued or running (in-process only; others may resolve at once). */
  onIdle?(): Promise<void>;
  /** Resolves when the queue answers (readiness probes); rejects when it does not. In-process: absent. */
  ping?(): Promise<void>;
  /** Jobs waiting and running now (gauges): this process's for in-process, the whole queue's for a distributed one. */
  counts?(): Promise<{ waiting: number; running: number }>;
}
