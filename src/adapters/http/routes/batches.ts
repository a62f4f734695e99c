import { ValidationError } from '../../../core/errors/validation-error.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { pageQuerySchema, taskRefRequestSchema } from '../../../core/schemas/requests.js';
import type { BatchCreatedResponse, BatchListResponse } from '../../../core/schemas/responses.js';
import type { RetryResponse } from '../../../core/schemas/wire.js';
import { batchEventsResponse } from '../batch-events.js';
import { chargingPost } from '../charging.js';
import { json } from '../json.js';
import { parseJson, readLimited } from '../read-body.js';
import type { Route, RouteContext } from '../route-context.js';

function batchIdParam(ctx: RouteContext): string {
  const id = ctx.url.searchParams.get('batch_id');
  if (!id) throw new ValidationError('batch_id', 'is required (a query parameter)');
  return id;
}

/** Query parameters as an object, for the page schema. */
export function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

export const batchRoutes: Route[] = [
  {
    method: 'POST',
    path: '/batch/generate',
    handle: (ctx) =>
      chargingPost(ctx, ctx.settings.maxBodyBytes, async (body, charge) => {
        const result = await ctx.settings.engine.batches.submit(ctx.user.username, body, charge);
        const response: BatchCreatedResponse = {
          message: ctx.settings.messages.batchCreated,
          batch_id: result.batch.batchId,
          total_tasks: result.batch.totalTasks,
          credits_deducted: result.creditsDeducted,
          credits_remaining: result.creditsRemaining,
        };
        return { status: 200, body: response };
      }),
  },
  {
    method: 'GET',
    path: '/batch/status',
    handle: async (ctx) => json(await ctx.settings.engine.batches.status(ctx.user.username, batchIdParam(ctx))),
  },
  {
    method: 'GET',
    path: '/batch/list',
    handle: async (ctx) => {
      const query = parseOrThrow(pageQuerySchema, queryOf(ctx.url));
      const page = await ctx.settings.engine.batches.list(ctx.user.username, query);
      const response: BatchListResponse = { batches: page.items, next_cursor: page.nextCursor };
      return json(response);
    },
  },
  {
    method: 'POST',
    path: '/batch/process',
    handle: async (ctx) => {
      const ref = parseOrThrow(taskRefRequestSchema, parseJson(await readLimited(ctx.request, ctx.settings.maxBodyBytes)));
      return json(await ctx.settings.engine.batches.process(ctx.user.username, ref.batch_id, ref.task_index));
    },
  },
  {
    method: 'POST',
    path: '/batch/retry',
    handle: (ctx) =>
      chargingPost(ctx, ctx.settings.maxBodyBytes, async (body, charge) => {
        const ref = parseOrThrow(taskRefRequestSchema, body);
        const result = await ctx.settings.engine.batches.retry(ctx.user.username, ref.batch_id, ref.task_index, charge);
        const response: RetryResponse = {
          message: ctx.settings.messages.retry,
          batch_id: ref.batch_id,
          task_index: ref.task_index,
          task: result.task,
          credits_deducted: result.creditsDeducted,
          credits_remaining: result.creditsRemaining,
        };
        return { status: 200, body: response };
      }),
  },
  {
    method: 'GET',
    path: '/batch/events',
    handle: (ctx) =>
      batchEventsResponse(ctx.settings.engine, ctx.user.username, batchIdParam(ctx), {
        recheckMs: ctx.settings.eventsRecheckMs,
        signal: ctx.request.signal,
        headers: ctx.extraHeaders,
      }),
  },
];
