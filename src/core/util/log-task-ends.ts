import type { EngineEventBus } from '../events.js';
import type { Logger } from '../options.js';
import type { TaskRunner } from '../ports/dispatcher.js';

/**
 * `info` lines as tasks and batches end (failures are already `warn`). Nothing is subscribed
 * when the logger has no `info`, so a quiet logger costs no listener.
 */
export function logTaskEnds(events: EngineEventBus, logger: Logger): void {
  const info = logger.info?.bind(logger);
  if (!info) return;
  events.on('task:completed', (e) =>
    info('task completed', { batchId: e.batchId, taskId: e.taskId, username: e.username, attempt: e.attempt }),
  );
  events.on('task:cancelled', (e) =>
    info('task cancelled', { batchId: e.batchId, taskId: e.taskId, username: e.username, was: e.was, refunded: e.refunded }),
  );
  events.on('batch:completed', (e) =>
    info('batch completed', {
      batchId: e.batchId,
      username: e.username,
      totalTasks: e.totalTasks,
      completedTasks: e.completedTasks,
      failedTasks: e.failedTasks,
      cancelledTasks: e.cancelledTasks,
    }),
  );
}

/** The task runner with a `debug` line per run (what the claim found and how the run ended); as it is without `debug`. */
export function debugRuns(runJob: TaskRunner, logger: Logger): TaskRunner {
  const debug = logger.debug?.bind(logger);
  if (!debug) return runJob;
  return async (job, hooks) => {
    const outcome = await runJob(job, hooks);
    const state = outcome ?? { state: 'done' as const };
    debug('task run', {
      batchId: job.batchId,
      index: job.index,
      username: job.username,
      state: state.state,
      ...(state.state === 'done' && state.ran ? { attempt: state.ran.attempt, outcome: state.ran.outcome } : {}),
    });
    return outcome;
  };
}
