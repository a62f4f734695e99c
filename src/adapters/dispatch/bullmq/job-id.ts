import { taskId } from '../../../core/ids.js';
import type { TaskJob } from '../../../core/ports/dispatcher.js';

/**
 * The BullMQ job id of a task job: the task id (with `:` escaped, which BullMQ forbids) and the
 * task's claim count when it was queued. The same job enqueued twice is one BullMQ job; a retry of
 * a failed task (a higher claim count) is a new one, even while the old job is still finishing.
 */
export function jobIdOf(job: TaskJob): string {
  return `${encodeURIComponent(taskId(job.batchId, job.index))}#a${job.attempt ?? 0}`;
}
