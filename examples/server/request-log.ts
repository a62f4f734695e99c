import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../src/index.js';
import { requestContext, type RequestLogContext } from './json-logger.js';

/** A caller's own id is kept when it is short and plain; anything else gets a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes are logged at `debug`: an orchestrator calls them every few seconds. */
const PROBES = new Set(['/health', '/ready', '/metrics']);

/**
 * Gives each request an id (`X-Request-Id` when the caller sent a plain one, else a UUID),
 * answers it in `X-Request-Id`, runs the request under it (so every line the engine writes meanwhile
 * carries `requestId` and, once signed in, `user`) and writes one `request` line when it is answered:
 * method, path (never the query), status and milliseconds.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const context: RequestLogContext = { requestId: given && REQUEST_ID.test(given) ? given : randomUUID() };
    const started = performance.now();
    try {
      await requestContext.run(context, next);
    } finally {
      context.answered = true;
    }
    c.res.headers.set('X-Request-Id', context.requestId);
    const log = PROBES.has(c.req.path) ? logger.debug : logger.info;
    log?.call(logger, 'request', {
      requestId: context.requestId,
      ...(context.user ? { user: context.user } : {}),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  };
}

/** `authenticate` that also names the signed-in user on the request's log lines. */
export function noteUser<U extends { username: string }>(
  authenticate: (request: Request) => Promise<U | null>,
): (request: Request) => Promise<U | null> {
  return async (request) => {
    const user = await authenticate(request);
    const context = requestContext.getStore();
    if (user && context) context.user = user.username;
    return user;
  };
}
