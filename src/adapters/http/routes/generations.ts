import {
  type GenerateResponse,
  generateResponseSchema,
  type ImageToImageResponse,
  imageToImageResponseSchema,
} from '../../../core/schemas/responses.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { generateRequestSchema, imageToImageRequestSchema, pageQuerySchema } from '../../../core/schemas/requests.js';
import { type RecordListResponse, recordListResponseSchema } from '../../../core/schemas/wire.js';
import { chargingPost } from '../charging.js';
import { ifNoneMatch, notModified, recordListEtag } from '../etag.js';
import { json } from '../json.js';
import type { Route, RouteContext } from '../route-context.js';
import { queryOf } from './batches.js';

/** The answer with its stored `image_url` replaced by one that loads now, and the provider's own `request_id`. */
const presented =
  (ctx: RouteContext) =>
  async <T extends { image_url: string; request_id: string }>(body: T): Promise<T> => ({
    ...body,
    request_id: ctx.settings.publicRecords.requestId(body.request_id),
    image_url: await ctx.settings.imageUrls.of(body.image_url),
  });

/** A data URL of `bytes` takes 4/3 of them in base64, plus the rest of the JSON body. */
const dataUrlBodyLimit = (imageBytes: number, jsonBytes: number) => Math.ceil(imageBytes / 3) * 4 + 256 + jsonBytes;

export const generationRoutes: Route[] = [
  {
    method: 'POST',
    path: '/image-to-image',
    doc: {
      summary: 'Image-to-image (2 credits, refunded if it fails)',
      body: { json: imageToImageRequestSchema },
      idempotent: true,
      responses: { 200: { description: 'The generated image', json: imageToImageResponseSchema } },
      errors: [400, 402, 409, 413, 429, 502, 504],
    },
    handle: (ctx) =>
      chargingPost(
        ctx,
        dataUrlBodyLimit(ctx.settings.maxImageBytes, ctx.settings.maxBodyBytes),
        async (body, charge) => {
          const result = await ctx.settings.engine.imageToImage.run(ctx.user.username, body, { ...charge, signal: ctx.request.signal });
          const response: ImageToImageResponse = {
            message: ctx.settings.messages.imageToImage,
            request_id: result.record.requestId,
            image_url: result.record.imageUrl,
            credits_remaining: result.creditsRemaining,
          };
          return { status: 200, body: response };
        },
        presented(ctx),
      ),
  },
  {
    method: 'POST',
    path: '/generate',
    doc: {
      summary: 'Text-to-image (1 credit, refunded if it fails)',
      body: { json: generateRequestSchema },
      idempotent: true,
      responses: { 200: { description: 'The generated image', json: generateResponseSchema } },
      errors: [400, 402, 409, 413, 429, 502, 504],
    },
    handle: (ctx) =>
      chargingPost(
        ctx,
        ctx.settings.maxBodyBytes,
        async (body, charge) => {
          const result = await ctx.settings.engine.textToImage.run(ctx.user.username, body, { ...charge, signal: ctx.request.signal });
          const response: GenerateResponse = {
            message: ctx.settings.messages.generate,
            record_id: result.record.recordId,
            request_id: result.record.requestId,
            image_url: result.record.imageUrl,
            credits_remaining: result.creditsRemaining,
          };
          return { status: 200, body: response };
        },
        presented(ctx),
      ),
  },
  {
    method: 'GET',
    path: '/records',
    doc: {
      summary: 'Single generations, newest first',
      query: pageQuerySchema,
      conditional: true,
      responses: { 200: { description: 'One page of records', json: recordListResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = parseOrThrow(pageQuerySchema, queryOf(ctx.url));
      const page = await ctx.settings.engine.records.list(ctx.user.username, query);
      const etag = recordListEtag(ctx.user.username, page.items, page.nextCursor, ctx.settings.imageUrls.epoch());
      if (ifNoneMatch(ctx.request, etag)) return notModified(etag);
      const records = await Promise.all(page.items.map((record) => ctx.settings.publicRecords.record(record)));
      const response: RecordListResponse = { records, next_cursor: page.nextCursor };
      return json(response, 200, { ETag: etag });
    },
  },
];
