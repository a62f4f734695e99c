import { NotFoundError } from '../../../core/errors/not-found-error.js';
import { compile, type RequestHandler, safeDecode } from '../create-request-handler.js';
import { errorResponse } from '../error-response.js';
import { json } from '../json.js';
import { buildAdminOpenApiDocument } from './build-admin-document.js';
import type { AdminContext, AdminSettings } from './context.js';
import { type AdminHandlerOptions, defaultAudit } from './options.js';
import { adminRouteTable } from './routes/index.js';

/**
 * The operators' API, a Web-standard `Request -> Response` handler of its own (mount it apart from
 * the user API): grant and adjust credits with a reason, export a user's journal as CSV or JSON
 * lines (streamed page by page), list failed and stuck tasks across users, requeue a task and
 * cancel any batch, and its OpenAPI document at `{basePath}/openapi.json`.
 *
 * `authorize(request)` is the host's decision; a request it refuses gets the 404 of an unknown
 * path on every route. Every action is logged with the admin's name (`audit`); credit actions are
 * also journal entries whose `reason` is `admin:{name}: {reason}`.
 *
 * @example
 * const admin = createAdminHandler({
 *   engine,
 *   authorize: async (req) => {
 *     const user = await lookUpBearer(req);
 *     return user && ADMINS.has(user.username) ? user.username : null;
 *   },
 * });
 * // Hono: app.all('/admin/api/*', (c) => admin(c.req.raw));
 */
export function createAdminHandler(options: AdminHandlerOptions): RequestHandler {
  const basePath = (options.basePath ?? '/admin/api').replace(/\/+$/, '');
  const audit = options.audit ?? defaultAudit(options.engine.logger);
  const now = options.now ?? Date.now;
  let document: Record<string, unknown> | undefined;
  const settings: AdminSettings = {
    engine: options.engine,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    stuckPendingAfterMs: options.stuckPendingAfterMs ?? 600_000,
    provider: options.provider,
    exportPageSize: Math.min(100, Math.max(1, Math.floor(options.exportPageSize ?? 100))),
    now,
    audit: (entry) => audit({ ...entry, at: now() }),
    openApiDocument: () => (document ??= buildAdminOpenApiDocument({ basePath })),
  };
  const report = options.onError ?? ((error: unknown) => console.error('[imagegen-kit] admin request failed', error));
  const routes = adminRouteTable.map(compile);

  return async function handle(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      const path = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : null;
      // Who asks comes first: to anyone but an admin, every path here is as unknown as any other.
      const admin = path === null ? null : await options.authorize(request);
      if (typeof admin !== 'string' || admin === '') throw new NotFoundError('Route', url.pathname);
      const matches = routes.filter((route) => route.pattern.test(path!));
      if (matches.length === 0) throw new NotFoundError('Route', url.pathname);
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const route = matches.find((r) => r.method === method);
      if (!route) {
        const allow = [...new Set(matches.map((r) => r.method))].join(', ');
        return json({ error: `Use ${allow} for ${url.pathname}`, code: 'method_not_allowed' }, 405, { Allow: allow });
      }
      const values = route.pattern.exec(path!)!.slice(1);
      const params = Object.fromEntries(route.names.map((name, i) => [name, safeDecode(values[i]!)]));
      const ctx: AdminContext = { request, url, params, admin, settings };
      return await route.handle(ctx);
    } catch (error) {
      return errorResponse(error, (e) => report(e, request));
    }
  };
}
