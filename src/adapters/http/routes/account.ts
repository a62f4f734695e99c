import { NotFoundError } from '../../../core/errors/not-found-error.js';
import { isValidImageKey } from '../../../core/image-keys.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { pageQuerySchema } from '../../../core/schemas/requests.js';
import type { CreditsResponse } from '../../../core/schemas/responses.js';
import { json } from '../json.js';
import type { Route } from '../route-context.js';
import { queryOf } from './batches.js';

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    path: '/credits',
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
