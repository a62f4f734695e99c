import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import { isImageGenError, type ProviderAdapter } from '../../src/index.js';
import { createServerAdmin } from './admin.js';
import { bundleWebApp } from './bundle.js';
import type { ClusterConfig } from './config.js';
import { createServerEngine } from './engine.js';
import { imageUrlSecretOf } from './image-url-secret.js';
import { createStripeWebhook } from './stripe-webhook.js';
import { createUserStore } from './users.js';

export interface ServerAppOptions {
  /** Where users, credits, batches and images live. @default './data' */
  dataDir?: string;
  /** Credits a new user gets once. @default 20 */
  startingCredits?: number;
  /** @default the provider whose key is in the environment, else the offline one (real images, no key, a few seconds each) */
  provider?: ProviderAdapter;
  /**
   * Run as the `api` or `both` process of a deployment on Redis (see `config.ts`); unset = one
   * process on SQLite. A `worker` serves no HTTP: it uses `createServerEngine` alone.
   */
  cluster?: ClusterConfig | null;
}

/**
 * The reference server as a Hono app: sign-in at `/auth/*`, the API at `/api/*` (the library's
 * handler), and the web page at `/`. Its engine is started; in the `api` role it only enqueues.
 */
export async function createServerApp(options: ServerAppOptions = {}) {
  if (options.cluster?.role === 'worker') throw new RangeError("a 'worker' serves no HTTP: start it with createServerEngine");
  const startingCredits = options.startingCredits ?? 20;
  const { engine, dataDir, providerName, release } = await createServerEngine(options);
  const imageUrlSecret = imageUrlSecretOf(dataDir);
  const users = createUserStore(join(dataDir, 'users.sqlite'));
  await engine.start();

  const api = createRequestHandler({
    engine,
    authenticate: (request) => users.authenticate(request),
    imageUrlSecret,
  });

  const page = readFileSync(new URL('./web/index.html', import.meta.url), 'utf8');
  const styles = readFileSync(new URL('./web/styles.css', import.meta.url), 'utf8');
  const script = await bundleWebApp();
  const staticHeaders = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };

  const app = new Hono();
  app.post('/auth/sign-in', async (c) => {
    try {
      const body = (await c.req.json().catch(() => ({}))) as { username?: unknown; password?: unknown };
      const session = await users.signIn(body.username, body.password);
      if (startingCredits > 0) {
        await engine.credits.grant(session.username, startingCredits, { idempotencyKey: 'welcome-grant', reason: 'starting credits' });
      }
      return c.json({ token: session.token, username: session.username, created: session.created });
    } catch (error) {
      if (isImageGenError(error)) return c.json(error.toJSON(), error.status as 400);
      throw error;
    }
  });
  app.post('/auth/sign-out', (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token) users.signOut(token);
    return c.body(null, 204);
  });
  app.all('/api/*', (c) => api(c.req.raw));
  const admin = createServerAdmin(engine, (request) => users.authenticate(request));
  app.all('/admin/api/*', (c) => admin(c.req.raw));
  const stripeSecret = process.env.STRIPE_WEBHOOK_SECRET;
  const stripe = stripeSecret ? createStripeWebhook({ engine, secret: stripeSecret, onError: console.error }) : null;
  if (stripe) app.post('/webhooks/stripe', (c) => stripe(c.req.raw));
  app.get('/', (c) => c.html(page, 200, staticHeaders));
  app.get('/styles.css', (c) => c.body(styles, 200, { ...staticHeaders, 'Content-Type': 'text/css; charset=utf-8' }));
  // Only the static files are compressed: a compressed event stream would be buffered.
  app.use('/app.js', compress());
  app.use('/styles.css', compress());
  app.get('/app.js', (c) => c.body(script, 200, { ...staticHeaders, 'Content-Type': 'text/javascript; charset=utf-8' }));

  const releaseAll = async () => {
    await release();
    users.close();
  };

  return {
    app,
    engine,
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
