import { ValidationError } from '../../../core/errors/validation-error.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { publicBatchSchema, publicTaskSchema } from '../../../core/schemas/public.js';
import type { BatchRecord, BatchTask } from '../../../core/schemas/records.js';
import { type BatchCancelResponse, batchCancelRequestSchema, batchCancelResponseSchema } from '../../../core/schemas/cancel.js';
import { batchIdQuerySchema, pageQuerySchema, taskRefRequestSchema } from '../../../core/schemas/requests.js';
import {
  type BatchCreatedResponse,
  batchCreatedResponseSchema,
  type BatchListResponse,
  batchListResponseSchema,
} from '../../../core/schemas/responses.js';
import { progressEventSchema, type RetryResponse, retryResponseSchema } from '../../../core/schemas/wire.js';
import { batchEventsResponse } from '../batch-events.js';
import { chargingPost } from '../charging.js';
import { batchGenerateRequestDoc } from '../openapi/components.js';
import { batchEtag, batchListEtag, ifNoneMatch, notModified } from '../etag.js';
import { json, jsonText } from '../json.js';
import { parseJson, readLimited } from '../read-body.js';
import type { HandlerSettings, Route, RouteContext } from '../route-context.js';

function batchIdParam(ctx: RouteContext): string {
  const query = batchIdQuerySchema.safeParse({ batch_id: ctx.url.searchParams.get('batch_id') ?? '' });
  if (!query.success) throw new ValidationError('batch_id', 'is required (a query parameter)');
  return query.data.batch_id;
}

/** The public batch as JSON, from the handler's cache while its tag (computed here unless given) holds. */
function batchText(settings: HandlerSettings, batch: BatchRecord, etag = batchEtag(batch, settings.imageUrls.epoch())): Promise<string> {
  return settings.batchJson.get(batch.batchId, etag, () => settings.publicRecords.batch(batch));
}

/** Query parameters as an object, for the page schema. */
export function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

export const batchRoutes: Route[] = [
  {
    method: 'POST',
    path: '/batch/generate',
    doc: {
      summary: 'Create a batch (1 credit per task, charged at submit)',
      body: { json: batchGenerateRequestDoc },
      idempotent: true,
      responses: { 200: { description: 'The batch, queued', json: batchCreatedResponseSchema } },
      errors: [400, 402, 409, 413, 429],
    },
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
    doc: {
      summary: 'The batch record',
      query: batchIdQuerySchema,
      conditional: true,
      responses: { 200: { description: 'The batch with its tasks', json: publicBatchSchema } },
      errors: [400, 404],
    },
    handle: async (ctx) => {
      // Ownership first: another user's batch is a 404 whatever tag they send.
      const batch = await ctx.settings.engine.batches.status(ctx.user.username, batchIdParam(ctx));
      const etag = batchEtag(batch, ctx.settings.imageUrls.epoch());
      if (ifNoneMatch(ctx.request, etag)) return notModified(etag);
      return jsonText(await batchText(ctx.settings, batch, etag), 200, { ETag: etag });
    },
  },
  {
    method: 'GET',
    path: '/batch/list',
    doc: {
      summary: "The user's batches, newest first",
      query: pageQuerySchema,
      conditional: true,
      responses: { 200: { description: 'One page of batch summaries', json: batchListResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = parseOrThrow(pageQuerySchema, queryOf(ctx.url));
      const page = await ctx.settings.engine.batches.list(ctx.user.username, query);
      const etag = batchListEtag(ctx.user.username, page.items, page.nextCursor);
      if (ifNoneMatch(ctx.request, etag)) return notModified(etag);
      const response: BatchListResponse = { batches: page.items.map(ctx.settings.publicRecords.summary), next_cursor: page.nextCursor };
      return json(response, 200, { ETag: etag });
    },
  },
  {
    method: 'POST',
    path: '/batch/process',
    doc: {
      summary: 'Run one task now and return it',
      body: { json: taskRefRequestSchema },
      responses: { 200: { description: 'The task after the run', json: publicTaskSchema } },
      errors: [400, 404, 413],
    },
    handle: async (ctx) => {
      const ref = parseOrThrow(taskRefRequestSchema, parseJson(await readLimited(ctx.request, ctx.settings.maxBodyBytes)));
      return json(
        await ctx.settings.publicRecords.task(await ctx.settings.engine.batches.process(ctx.user.username, ref.batch_id, ref.task_index)),
      );
    },
  },
  {
    method: 'POST',
    path: '/batch/retry',
    doc: {
      summary: 'Queue a failed task again (charges again)',
      body: { json: taskRefRequestSchema },
      idempotent: true,
      responses: { 200: { description: 'The task, queued again, and what it cost', json: retryResponseSchema } },
      errors: [400, 402, 404, 409, 413, 429],
    },
    handle: (ctx) =>
      chargingPost(
        ctx,
        ctx.settings.maxBodyBytes,
        async (body, charge) => {
          const ref = parseOrThrow(taskRefRequestSchema, body);
          const result = await ctx.settings.engine.batches.retry(ctx.user.username, ref.batch_id, ref.task_index, charge);
          // Stored for replay with the task as the engine has it; `present` makes it public.
          const response: Omit<RetryResponse, 'task'> & { task: BatchTask } = {
            message: ctx.settings.messages.retry,
            batch_id: ref.batch_id,
            task_index: ref.task_index,
            task: result.task,
            credits_deducted: result.creditsDeducted,
            credits_remaining: result.creditsRemaining,
          };
          return { status: 200, body: response };
        },
        async (body) => ({ ...body, task: await ctx.settings.publicRecords.task(body.task) }),
      ),
  },
  {
    method: 'POST',
    path: '/batch/cancel',
    doc: {
      summary:
        'Cancel a batch, or one task (`task_index`): waiting tasks end `cancelled` and are refunded once; running ones are stopped. Cancelling again answers the same',
      body: { json: batchCancelRequestSchema },
      responses: { 200: { description: 'The cancelled tasks, what they gave back, and the batch', json: batchCancelResponseSchema } },
      errors: [400, 404, 409, 413],
    },
    handle: async (ctx) => {
      const ref = parseOrThrow(batchCancelRequestSchema, parseJson(await readLimited(ctx.request, ctx.settings.maxBodyBytes)));
      const result = await ctx.settings.engine.batches.cancel(
        ctx.user.username,
        ref.batch_id,
        ref.task_index === undefined ? {} : { taskIndex: ref.task_index },
      );
      const response: BatchCancelResponse = {
        batch_id: ref.batch_id,
        cancelled: result.cancelled,
        credits_refunded: result.creditsRefunded,
        batch: await ctx.settings.publicRecords.batch(result.batch),
      };
      return json(response);
    },
  },
  {
    method: 'GET',
    path: '/batch/events',
    doc: {
      summary: 'Server-Sent Events of one batch: `snapshot`, `progress`, `task`, then `completed` (the stream ends)',
      query: batchIdQuerySchema,
      responses: {
        200: {
          description: 'An event stream; each event carries JSON data',
          events: { snapshot: publicBatchSchema, progress: progressEventSchema, task: publicTaskSchema, completed: publicBatchSchema },
        },
      },
      errors: [400, 404, 429],
    },
    handle: (ctx) => {
      const batchId = batchIdParam(ctx);
      const { settings } = ctx; // what the open stream keeps: not the request's context
      return batchEventsResponse(settings.engine, ctx.user.username, batchId, {
        publicRecords: settings.publicRecords,
        batchText: (batch) => batchText(settings, batch),
        recheckMs: ctx.settings.eventsRecheckMs,
        signal: ctx.request.signal,
        headers: ctx.extraHeaders,
        onClose: ctx.settings.eventStreams.take(ctx.user.username),
      });
    },
  },
];
