import type { EngineEventBus } from '../events.js';
import type { Logger } from '../options.js';

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
