/**
 * What "progress" means, in one place. Storage adapters store the values computed here (raising,
 * never lowering); no other file names a stage.
 */
export const PROGRESS = {
  /** A task waiting in the queue. */
  queued: 0,
  /** A worker claimed the task (or a single generation began). */
  received: 10,
  /** The provider accepted the request. */
  submitted: 30,
  /** The highest value polling alone can reach. */
  pollingCeiling: 90,
  /** The highest value a task shows before it completes. */
  runningCeiling: 99,
  /** Completed. */
  done: 100,
} as const;

/** 30 → 90 with each poll; the provider's own hint (0–1) when it is further along. */
export function pollProgress(poll: number, maxPolls: number, hint: number | undefined): number {
  const span = PROGRESS.pollingCeiling - PROGRESS.submitted;
  const byPolls = PROGRESS.submitted + Math.floor((span * poll) / (maxPolls + 1));
  const byHint = hint === undefined ? 0 : PROGRESS.submitted + Math.floor(span * hint);
  return Math.min(PROGRESS.pollingCeiling, Math.max(byPolls, byHint));
}

/** A progress value a running task may show: never 100 before it completes. */
export function runningProgress(progress: number): number {
  return Math.max(PROGRESS.queued, Math.min(progress, PROGRESS.runningCeiling));
}
