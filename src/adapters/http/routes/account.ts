import { z } from 'zod';
import { NotFoundError } from '../../../core/errors/not-found-error.js';
import { isValidImageKey } from '../../../core/image-keys.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { pageQuerySchema } from '../../../core/schemas/requests.js';
import { type CreditsResponse, creditsResponseSchema } from '../../../core/schemas/responses.js';
import { json } from '../json.js';
import type { Route } from '../route-context.js';
import { queryOf } from './batches.js';

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    path: '/credits',
    doc: {
      summary: 'Balance and ledger entries, newest first',
      query: pageQuerySchema,
      responses: { 200: { description: 'The balance and one page of the journal', json: creditsResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = parseOrThrow(pageQuerySchema, queryOf(ctx.url));
      const { credits } = ctx.settings.engine;
      const [balance, page] = await Promise.all([credits.balance(ctx.user.username), credits.history(ctx.user.username, query)]);
      const response: CreditsResponse = { balance, entries: page.items, next_cursor: page.nextCursor };
      return json(response);
    },
  },
  {
    method: 'GET',
    path: '/images/:key',
    doc: {
      summary: 'A stored image of the user',
      params: z.object({ key: z.string() }),
      responses: { 200: { description: 'The image', bytes: ['image/png', 'image/jpeg', 'image/webp'] } },
      errors: [404],
    },
    handle: async (ctx) => {
      const key = ctx.params.key!;
      const image = isValidImageKey(key) ? await ctx.settings.engine.imageStore.get(key) : null;
      // Another user's image is as unknown as a missing one.
      if (!image || image.owner !== ctx.user.username) throw new NotFoundError('Image', key);
      return new Response(image.bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: {
          'Content-Type': image.contentType,
          'Content-Length': String(image.bytes.byteLength),
          'X-Content-Type-Options': 'nosniff',
          'Content-Security-Policy': "default-src 'none'",
          'Cache-Control': 'private, max-age=31536000, immutable',
          ...ctx.extraHeaders,
        },
      });
    },
  },
];
