import { z } from 'zod';
import { NotFoundError } from '../../../core/errors/not-found-error.js';
import { isValidImageKey } from '../../../core/image-keys.js';
import { grantViewOf } from '../../../core/schemas/grants.js';
import { parseOrThrow } from '../../../core/schemas/parse.js';
import { pageQuerySchema } from '../../../core/schemas/requests.js';
import { type CreditsResponse, creditsResponseSchema } from '../../../core/schemas/responses.js';
import { json } from '../json.js';
import type { Route } from '../route-context.js';
import { queryOf } from './batches.js';

/** The query of a signed image URL. */
const imageUrlQuerySchema = z.object({
  exp: z
    .string()
    .regex(/^[1-9][0-9]*$/)
    .describe('When the URL expires, in Unix seconds'),
  sig: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .describe('HMAC-SHA256 of the key and `exp` with the host secret, base64url'),
});

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    path: '/credits',
    doc: {
      summary: 'Balance, live grants and ledger entries, newest first',
      description:
        'The balance counts only live grants: the ones whose `expires_at` has passed are gone, with an `expire` entry in the journal. `grants` lists the rest in the order charges draw from them (higher priority first, then the soonest expiry, then the oldest); `id` null is the default pool of paid, never-expiring credits.',
      query: pageQuerySchema,
      responses: { 200: { description: 'The balance, the live grants and one page of the journal', json: creditsResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = parseOrThrow(pageQuerySchema, queryOf(ctx.url));
      const { credits } = ctx.settings.engine;
      const username = ctx.user.username;
      // The journal first: reading it writes any expiry due, so the three parts agree.
      const page = await credits.history(username, query);
      const [balance, grants] = await Promise.all([credits.balance(username), credits.grants(username)]);
      const response: CreditsResponse = { balance, grants: grants.map(grantViewOf), entries: page.items, next_cursor: page.nextCursor };
      return json(response);
    },
  },
  {
    method: 'GET',
    path: '/images/:key',
    auth: false,
    doc: {
      summary: 'A stored image, by the signed URL a response handed out',
      description:
        "The URLs in `image_url` and `result.imageUrl` load here without a bearer header (`<img src>`): `exp` and `sig` sign the key and the expiry with the host's `imageUrlSecret`. A wrong, missing or expired signature is the same 404 as a missing image; get a fresh URL by reading the record again.",
      params: z.object({ key: z.string() }),
      query: imageUrlQuerySchema,
      responses: { 200: { description: 'The image', bytes: ['image/png', 'image/jpeg', 'image/webp'] } },
      errors: [404],
    },
    handle: async (ctx) => {
      const key = ctx.params.key!;
      const secondsLeft = isValidImageKey(key) ? await ctx.settings.imageUrls.check(key, ctx.url.searchParams) : null;
      const image = secondsLeft === null ? null : await ctx.settings.engine.imageStore.get(key);
      // A URL that is not valid now is as unknown as a missing image: same status, body and headers.
      if (!image) throw new NotFoundError('Image', key);
      return new Response(image.bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: {
          'Content-Type': image.contentType,
          'Content-Length': String(image.bytes.byteLength),
          'X-Content-Type-Options': 'nosniff',
          'Content-Security-Policy': "default-src 'none'",
          // The bytes under a key never change; a cached copy may be shown until the URL expires.
          'Cache-Control': `private, max-age=${secondsLeft}, immutable`,
          ...ctx.extraHeaders,
        },
      });
    },
  },
];
