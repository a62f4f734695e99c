import { ConflictError } from '../../../../core/errors/conflict-error.js';
import { NotFoundError } from '../../../../core/errors/not-found-error.js';
import { taskId as makeTaskId } from '../../../../core/ids.js';
import type { OpenTaskRef } from '../../../../core/ports/storage-adapter.js';
import type { RecoveryJob } from '../../../../core/services/batches/task-worker.js';
import { json } from '../../json.js';
import { adminBody, adminQuery, adminReason } from '../body.js';
import type { AdminContext, AdminRoute } from '../context.js';
import {
  failedTasksQuerySchema,
  failedTasksResponseSchema,
  requeueRequestSchema,
  requeueResponseSchema,
  stuckTasksQuerySchema,
  stuckTasksResponseSchema,
  type FailedTasksResponse,
  type RequeueResponse,
  type StuckTasksResponse,
} from '../schemas.js';

/** Open tasks the stuck list looks at, oldest batches first. */
const SCAN_LIMIT = 10_000;

type Stuck = StuckTasksResponse['tasks'][number];

/** A `processing` task whose lease ran out, or a `pending` one waiting since before `pendingBefore`; else null. */
async function stuckOf(ctx: AdminContext, open: OpenTaskRef, now: number, pendingBefore: number): Promise<Stuck | null> {
  const base = { batch_id: open.batchId, username: open.username, task_index: open.index, status: open.status, attempts: open.attempts };
  if (open.status === 'processing') {
    if (open.leaseExpiresAt === null || open.leaseExpiresAt > now) return null;
    return { ...base, reason: 'lease_expired', lease_expires_at: open.leaseExpiresAt, waiting_since: null };
  }
  // Cheap first: the batch id carries its creation time, and a task cannot wait longer than that.
  const created = Number(open.batchId.slice(open.batchId.lastIndexOf(':') + 1));
  if (Number.isFinite(created) && created > pendingBefore) return null;
  const task = await ctx.settings.engine.storage.getTask(open.batchId, open.index);
  if (task?.status !== 'pending') return null;
  const since = Math.max(task.createdAt, task.startedAt ?? 0);
  if (since > pendingBefore) return null;
  return { ...base, reason: 'pending_too_long', lease_expires_at: null, waiting_since: since };
}

async function requeue(ctx: AdminContext, batchId: string, index: number): Promise<RequeueResponse> {
  const { storage, dispatcher, batches } = ctx.settings.engine;
  const batch = await storage.getBatch(batchId);
  const task = batch?.tasks[index];
  if (!batch || !task) throw new NotFoundError('Task', makeTaskId(batchId, index));
  const { username } = batch;
  const answer = (outcome: RequeueResponse['outcome'], status: string, attempts: number): RequeueResponse => ({
    batch_id: batchId,
    task_index: index,
    outcome,
    status,
    attempts,
  });
  if (task.status === 'failed') {
    // The user's own retry, at no charge: a zero-amount journal entry names the admin.
    const result = await batches.retry(username, batchId, index, {
      idempotencyKey: `admin-requeue:${task.taskId}:${task.attempts}`,
      price: 0,
      reason: adminReason(ctx.admin, 'requeue of a failed task'),
    });
    return answer('retried', result.task.status, result.task.attempts);
  }
  if (task.status === 'processing') {
    const now = ctx.settings.now();
    if (task.leaseExpiresAt === null || task.leaseExpiresAt > now) {
      throw new ConflictError(
        'task_running',
        `Task ${task.taskId} is running under a live lease; it can be requeued once the lease expires`,
        {
          lease_expires_at: task.leaseExpiresAt,
        },
      );
    }
    // The recovery path: a worker claims it from this claim number (compare-and-set), as after a crash.
    const job: RecoveryJob = { batchId, index, username, attempt: task.attempts, takeOverAttempts: task.attempts };
    await dispatcher.enqueue([job]);
    return answer('taken_over', task.status, task.attempts);
  }
  if (task.status === 'pending') {
    // Enqueuing a job that is queued already is harmless; one that was lost is queued again.
    await dispatcher.enqueue([{ batchId, index, username, attempt: task.attempts }]);
    return answer('queued', task.status, task.attempts);
  }
  throw new ConflictError('task_ended', `Task ${task.taskId} is ${task.status}: there is nothing to requeue`, { status: task.status });
}

export const taskRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/tasks/failed',
    doc: {
      summary: 'Failed tasks of every user, most recent failure first',
      query: failedTasksQuerySchema,
      responses: { 200: { description: 'One page of failed tasks', json: failedTasksResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = adminQuery(ctx, failedTasksQuerySchema);
      const page = await ctx.settings.engine.storage.listFailedTasks(query);
      const body: FailedTasksResponse = {
        tasks: page.items.map((t) => ({
          batch_id: t.batchId,
          username: t.username,
          task_index: t.index,
          attempts: t.attempts,
          error: t.error,
          failed_at: t.failedAt,
        })),
        next_cursor: page.nextCursor,
      };
      return json(body);
    },
  },
  {
    method: 'GET',
    path: '/tasks/stuck',
    doc: {
      summary: 'Stuck tasks of every user: processing with an expired lease, or pending too long',
      description: `Looks at up to ${SCAN_LIMIT} open tasks, oldest batches first (\`truncated\` says when there were more).`,
      query: stuckTasksQuerySchema,
      responses: { 200: { description: 'The stuck tasks found', json: stuckTasksResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = adminQuery(ctx, stuckTasksQuerySchema);
      const limit = query.limit ?? 100;
      const now = ctx.settings.now();
      const pendingBefore = now - (query.pending_older_than_ms ?? ctx.settings.stuckPendingAfterMs);
      const open = await ctx.settings.engine.storage.listOpenTasks(SCAN_LIMIT + 1);
      const tasks: Stuck[] = [];
      for (const ref of open.slice(0, SCAN_LIMIT)) {
        const stuck = await stuckOf(ctx, ref, now, pendingBefore);
        if (stuck) tasks.push(stuck);
        if (tasks.length >= limit) break;
      }
      const body: StuckTasksResponse = { tasks, scanned: Math.min(open.length, SCAN_LIMIT), truncated: open.length > SCAN_LIMIT };
      return json(body);
    },
  },
  {
    method: 'POST',
    path: '/tasks/requeue',
    doc: {
      summary: 'Requeue a task: take over a stuck one, queue a pending one again, or retry a failed one at no charge',
      description:
        'Processing with an expired lease: queued for take-over (a worker claims it by its claim number). Pending: queued again (harmless when it is queued already). Failed: retried as `batch/retry` does, with a zero-amount charge whose reason names the admin; the same failure requeued twice is retried once. A processing task under a live lease, or an ended one, is a 409.',
      body: { json: requeueRequestSchema },
      responses: { 200: { description: 'What was done', json: requeueResponseSchema } },
      errors: [400, 404, 409, 413],
    },
    handle: async (ctx) => {
      const body = await adminBody(ctx, requeueRequestSchema);
      const result = await requeue(ctx, body.batch_id, body.task_index);
      ctx.settings.audit({
        admin: ctx.admin,
        action: 'tasks.requeue',
        details: { batchId: body.batch_id, taskIndex: body.task_index, outcome: result.outcome },
      });
      return json(result);
    },
  },
];
