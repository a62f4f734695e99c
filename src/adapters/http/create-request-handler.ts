import { traceRequests } from '../../core/telemetry/http-span.js';
import { NotFoundError } from '../../core/errors/not-found-error.js';
import { UnauthorizedError } from '../../core/errors/unauthorized-error.js';
import { ImageGenError } from '../../core/errors/image-gen-error.js';
import { DEFAULT_MAX_BATCH_TASKS } from '../../core/schemas/requests.js';
import { DEFAULT_MESSAGES } from '../../core/schemas/responses.js';
import { corsHeaders, preflight, withHeaders } from './cors.js';
import { errorResponse } from './error-response.js';
import { json } from './json.js';
import { httpIdempotencyPolicy } from './idempotency.js';
import { imageUrlsForHandler } from './image-urls.js';
import { createJsonCache } from './json-cache.js';
import { createPublicRecords } from './public-records.js';
import { createUserSlots } from '../../core/util/user-slots.js';
import { buildOpenApiDocument } from './openapi/build-document.js';
import type { RequestHandlerOptions } from './options.js';
import { rateCheck } from './rate-limit.js';
import type { HandlerSettings, Route, RouteContext } from './route-context.js';
import { routeTable } from './routes/index.js';

/** A Web-standard request handler: mount it in any host that speaks `Request` and `Response`. */
export type RequestHandler = (request: Request) => Promise<Response>;

/** A few tabs of one person; a browser has about 6 connections per origin over HTTP/1.1 anyway. */
const DEFAULT_EVENT_STREAMS_PER_USER = 5;

/** A route with its path as a pattern; `names` are its `:name` segments in order. */
export type CompiledRoute<R extends { path: string } = Route> = R & {
  pattern: RegExp;
  names: string[];
};

/** Compiles a route's path (`/images/:key`) to a pattern (the admin handler shares it). */
export function compile<R extends { path: string }>(route: R): CompiledRoute<R> {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:([a-z]+)/g, (_m, name: string) => {
    names.push(name);
    return '/([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

/**
 * Serves every endpoint of the contract under `basePath` (default `/api`): uploads,
 * image-to-image, text-to-image, batches (with Server-Sent Events), credits, records, stored
 * images and the OpenAPI document at `/api/openapi.json`. Authentication is the host's
 * `authenticate`; errors become `{ error, code, ...details }` with the contract's statuses.
 * Image URLs in responses load without a bearer header (`<img src>`): signed by the handler with
 * `imageUrlSecret`, or made by the image store (`urlFor`); records keep the stable URL.
 *
 * @example
 * const handler = createRequestHandler({
 *   engine,
 *   authenticate: (req) => lookUpBearer(req),
 *   imageUrlSecret: process.env.IMAGE_URL_SECRET, // 32+ random characters
 * });
 * // Node: serve({ fetch: handler }); Next.js: export const GET = handler, POST = handler;
 */
export function createRequestHandler(options: RequestHandlerOptions): RequestHandler {
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const idempotency = httpIdempotencyPolicy(options.engine.idempotency);
  const imageUrls = imageUrlsForHandler(options);
  const publicRecords = createPublicRecords(imageUrls, options.engine.publicRequestId);
  const settings: HandlerSettings = {
    engine: options.engine,
    messages: { ...DEFAULT_MESSAGES, ...options.messages },
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    maxImageBytes: options.maxImageBytes ?? options.engine.imageLimits.maxBytes,
    idempotency,
    idempotencyWaitMs: Math.min(options.idempotencyWaitMs ?? 120_000, idempotency.staleAfterMs),
    eventsRecheckMs: options.eventsRecheckMs ?? 2000,
    eventStreams: createUserSlots('maxEventStreamsPerUser', options.maxEventStreamsPerUser ?? DEFAULT_EVENT_STREAMS_PER_USER, {
      message: 'Too many event streams open: close one (another tab?) or poll GET /batch/status instead',
      retryAfterSeconds: 5,
    }),
    checkRate: rateCheck(options.rateLimit),
    webhooks: options.webhooks,
    imageUrls,
    publicRecords,
    batchJson: createJsonCache(),
    openApiDocument: () => (openApi ??= buildOpenApiDocument({ basePath, maxTasksPerBatch })),
  };
  const report = options.onError ?? ((error: unknown) => console.error('[imagegen-kit] request failed', error));
  let openApi: Record<string, unknown> | undefined;
  const maxTasksPerBatch = options.engine.maxTasksPerBatch ?? DEFAULT_MAX_BATCH_TASKS;

  const routes = routeTable.map(compile);

  const telemetry = options.engine.telemetry;
  return telemetry ? traceRequests(telemetry, handle) : handle;

  async function handle(request: Request): Promise<Response> {
    const cors = corsHeaders(options.cors, request.headers.get('origin'));
    if (request.method === 'OPTIONS') return preflight(options.cors, request);
    try {
      const url = new URL(request.url);
      const path = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : null;
      const matches = path === null ? [] : routes.filter((route) => route.pattern.test(path));
      if (matches.length === 0) throw new NotFoundError('Route', url.pathname);
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const route = matches.find((r) => r.method === method);
      if (!route) {
        const allow = [...new Set(matches.map((r) => r.method))].join(', ');
        return withHeaders(json({ error: `Use ${allow} for ${url.pathname}`, code: 'method_not_allowed' }, 405, { Allow: allow }), cors);
      }
      const values = route.pattern.exec(path!)!.slice(1);
      const params = Object.fromEntries(route.names.map((name, i) => [name, safeDecode(values[i]!)]));
      let user = { username: '' };
      if (route.auth !== false) {
        const found = await options.authenticate(request);
        if (!found || typeof found.username !== 'string' || found.username === '') throw new UnauthorizedError();
        user = found;
      }
      const ctx: RouteContext = { request, url, params, user, settings, extraHeaders: cors };
      return withHeaders(await route.handle(ctx), cors);
    } catch (error) {
      return withHeaders(
        errorResponse(
          error,
          (e) => report(e, request),
          (body) => publicRecords.errorBody(body),
        ),
        cors,
      );
    }
  }
}

/** A path segment decoded; a malformed escape is a 404, as an unknown path. */
export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ImageGenError('not_found', 404, 'Not found');
  }
}
