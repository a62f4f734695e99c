import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import type { Logger, ProviderAdapter } from '../../src/index.js';
import { createJsonLogger } from './json-logger.js';
import { noteUser, requestLog } from './request-log.js';
import { mountOpsRoutes } from './ops-routes.js';
import { openServerTelemetry, type ServerTelemetry } from './telemetry.js';
import { createServerAdmin } from './admin.js';
import { mountAuthRoutes } from './auth-routes.js';
import { bundleWebApp } from './bundle.js';
import type { ClusterConfig, ImagesConfig, StorageConfig } from './config.js';
import { createServerEngine, type ServerEngineOptions } from './engine.js';
import { imageUrlSecretOf } from './image-url-secret.js';
import { imageOriginsOf, type PageSecurityOptions, pageSecurityHeaders } from './security-headers.js';
import { createStripeWebhook } from './stripe-webhook.js';
import { createUserStore, type UserStore, type UserStoreOptions } from './users/accounts.js';

export interface ServerAppOptions extends Pick<ServerEngineOptions, 'engineOptions'> {
  /** Where SQLite storage, filesystem images and the image URL secret (when not set) live. @default './data' */
  dataDir?: string;
  /** Where credits, batches, records, users and tokens live (one database). @default { kind: 'sqlite' } */
  storage?: StorageConfig;
  /** Where images live. @default { kind: 'fs' } */
  images?: ImagesConfig;
  /** Credits a new user gets once. @default 20 */
  startingCredits?: number;
  /** @default the provider whose key is in the environment, else the offline one (real images, no key, a few seconds each) */
  provider?: ProviderAdapter;
  /**
   * Run as the `api` or `both` process of a deployment (queue and events on Redis; see
   * `config.ts`); unset = one process. A `worker` serves no HTTP: it uses `createServerEngine` alone.
   */
  cluster?: ClusterConfig | null;
  /** Headers of the page (CSP, HSTS); the image store's own origin is added to `img-src` by itself. */
  security?: PageSecurityOptions;
  /** Sessions and sign-in limits. @default 30-day sliding sessions, the client address from the socket */
  auth?: ServerAuthOptions;
  /** Where the server, the engine and the provider write. @default JSON lines on stdout (`createJsonLogger`) */
  logger?: Logger;
  /** Engine metrics served at `GET /metrics`; null = none. @default on, unless `IMAGEGEN_METRICS=0` */
  metrics?: ServerTelemetry | null;
}

export interface ServerAuthOptions extends UserStoreOptions {
  /** Proxies in front that append to `X-Forwarded-For` (`IMAGEGEN_TRUST_PROXY`). @default 0 */
  trustedProxyHops?: number;
}

/**
 * The reference server as a Hono app: sign-in at `/auth/*`, the API at `/api/*` (the library's
 * handler), and the web page at `/`. Its engine is started; in the `api` role it only enqueues.
 */
export async function createServerApp(options: ServerAppOptions = {}) {
  if (options.cluster?.role === 'worker') throw new RangeError("a 'worker' serves no HTTP: start it with createServerEngine");
  const startingCredits = options.startingCredits ?? 20;
  let api: (request: Request) => Promise<Response>;
  const logger = options.logger ?? createJsonLogger({ base: { role: options.cluster?.role ?? 'both' } });
  const metrics = options.metrics !== undefined ? options.metrics : await openServerTelemetry(logger);
  const { engine, dataDir, providerName, provider, openUsers, release } = await createServerEngine({
    ...options,
    logger,
    ...(metrics ? { engineOptions: { ...options.engineOptions, telemetry: metrics.telemetry } } : {}),
  });
  let users: UserStore;
  let authenticate: (request: Request) => Promise<{ username: string } | null>;
  try {
    // The S3 store presigns its own URLs; files are served by the handler through signed URLs.
    const imageUrlSecret = engine.imageStore.urlFor ? undefined : imageUrlSecretOf(dataDir);
    users = createUserStore(await openUsers(), options.auth);
    authenticate = noteUser((request) => users.authenticate(request));
    api = createRequestHandler({
      engine,
      authenticate,
      onError: (error) => logger.error('request failed', { error }),
      ...(imageUrlSecret ? { imageUrlSecret } : {}),
    });
    await engine.start();
  } catch (error) {
    await engine.stop({ graceMs: 0 }).catch(() => {});
    await release();
    throw error;
  }

  const page = readFileSync(new URL('./web/index.html', import.meta.url), 'utf8');
  const styles = readFileSync(new URL('./web/styles.css', import.meta.url), 'utf8');
  const [script, adminScript] = await Promise.all([bundleWebApp(), bundleWebApp('admin.ts')]);
  const adminPage = readFileSync(new URL('./web/admin.html', import.meta.url), 'utf8');
  const staticHeaders = { 'Cache-Control': 'no-cache' };
  const securityHeaders = pageSecurityHeaders({
    ...options.security,
    imageOrigins: [...(await imageOriginsOf(engine.imageStore)), ...(options.security?.imageOrigins ?? [])],
  });

  const app = new Hono();
  app.use('*', requestLog(logger));
  // Everything but the API (whose handler sets its own) gets the page's security headers, 404s too.
  app.use('*', async (c, next) => {
    await next();
    if (c.req.path.startsWith('/api/')) return;
    for (const [name, value] of Object.entries(securityHeaders)) c.res.headers.set(name, value);
  });
  mountOpsRoutes(app, engine, metrics);
  mountAuthRoutes(app, { users, engine, startingCredits, trustedProxyHops: options.auth?.trustedProxyHops ?? 0 });
  app.all('/api/*', (c) => api(c.req.raw));
  const admin = createServerAdmin(engine, authenticate, process.env, provider);
  app.all('/admin/api/*', (c) => admin(c.req.raw));
  const stripeSecret = process.env.STRIPE_WEBHOOK_SECRET;
  const stripe = stripeSecret
    ? createStripeWebhook({ engine, secret: stripeSecret, onError: (error) => logger.error('stripe webhook failed', { error }) })
    : null;
  if (stripe) app.post('/webhooks/stripe', (c) => stripe(c.req.raw));
  app.get('/', (c) => c.html(page, 200, staticHeaders));
  app.get('/styles.css', (c) => c.body(styles, 200, { ...staticHeaders, 'Content-Type': 'text/css; charset=utf-8' }));
  // Only the static files are compressed: a compressed event stream would be buffered.
  app.use('/app.js', compress());
  app.use('/styles.css', compress());
  // The operator page: a shell anyone may load; its data comes from /admin/api, a 404 to non-admins.
  app.get('/admin', (c) => c.html(adminPage, 200, staticHeaders));
  app.get('/admin/admin.js', (c) => c.body(adminScript, 200, { ...staticHeaders, 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/app.js', (c) => c.body(script, 200, { ...staticHeaders, 'Content-Type': 'text/javascript; charset=utf-8' }));

  const releaseAll = async () => {
    await users.close();
    await release();
    await metrics?.shutdown();
  };

  return {
    app,
    engine,
    logger,
    providerName,
    /** Closes storage, users and connections; call after `engine.stop()`. */
    release: releaseAll,
    /** Stops the engine (running tasks get `graceMs`), then releases everything. */
    async close(closeOptions: { graceMs?: number } = {}) {
      await engine.stop({ graceMs: closeOptions.graceMs ?? 2000 });
      await releaseAll();
    },
  };
}
