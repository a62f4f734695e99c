import { applyLedgerEntry } from './apply-ledger-entry.js';
import { cancelTasks } from './cancel-tasks.js';
import { claimTask } from './claim-task.js';
import { createBatch, createBatchIndexed } from './create-batch.js';
import { createRecord } from './create-record.js';
import { completeTask, endTask } from './end-task.js';
import { abandonIdempotent, beginIdempotent, completeIdempotent } from './idempotency.js';
import { pruneOpenUser, touchOpenUser } from './open-users.js';
import { retryTask, retryTaskIndexed } from './retry-task.js';
import { settleGrants } from './settle-grants.js';
import { updateTaskProgress } from './update-task-progress.js';

export { Code, SCRIPT_VERSION, type RedisScript } from './script.js';

export const SCRIPTS = {
  applyLedgerEntry,
  createBatch,
  createBatchIndexed,
  claimTask,
  updateTaskProgress,
  endTask,
  completeTask,
  retryTask,
  retryTaskIndexed,
  settleGrants,
  cancelTasks,
  createRecord,
  beginIdempotent,
  completeIdempotent,
  abandonIdempotent,
  touchOpenUser,
  pruneOpenUser,
} as const;
