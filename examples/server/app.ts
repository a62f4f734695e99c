import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { createRequestHandler } from '../../src/adapters/http/index.js';
import { createFilesystemImageStore } from '../../src/adapters/image-stores/filesystem/index.js';
import { createGuardedFetcher } from '../../src/adapters/input/guarded-fetch/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { providerFromEnv } from '../../src/adapters/providers/from-env/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { createEngine, isImageGenError, type Engine, type ProviderAdapter } from '../../src/index.js';
import { bundleWebApp } from './bundle.js';
import { createUserStore } from './users.js';

export interface ServerAppOptions {
  /** Where users, credits, batches and images live. @default './data' */
  dataDir?: string;
  /** Credits a new user gets once. @default 20 */
  startingCredits?: number;
  /** @default the provider whose key is in the environment, else the offline one (real images, no key, a few seconds each) */
  provider?: ProviderAdapter;
}

/**
 * The reference server as a Hono app: sign-in at `/auth/*`, the API at `/api/*` (the library's
 * handler), and the web page at `/`.
 */
export async function createServerApp(options: ServerAppOptions = {}) {
  const dataDir = resolve(options.dataDir ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const startingCredits = options.startingCredits ?? 20;

  const users = createUserStore(join(dataDir, 'users.sqlite'));
  const storage = createSqliteStorage({ path: join(dataDir, 'imagegen.sqlite') });
  const imageStore = createFilesystemImageStore({ directory: join(dataDir, 'images') });
  const fromEnv = options.provider ? null : await providerFromEnv();
  // The offline provider answers at once; a little latency makes the progress bars worth watching.
  const provider = options.provider ?? (fromEnv!.name === 'offline' ? createOfflineProvider({ latencyMs: 2500, size: 768 }) : fromEnv!.provider);
  const providerName = options.provider?.name ?? fromEnv!.name;
  const engine: Engine = createEngine({
    storage,
    provider,
    imageStore,
    // https URLs as input_image, fetched without reaching private addresses.
    fetchInputImage: createGuardedFetcher(),
    ...(providerName === 'offline' ? { pollPolicy: { pollIntervalMs: 400 } } : {}),
  });
  await engine.start();

  const api = createRequestHandler({
    engine,
    authenticate: (request) => users.authenticate(request),
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
  app.get('/', (c) => c.html(page, 200, staticHeaders));
  app.get('/styles.css', (c) => c.body(styles, 200, { ...staticHeaders, 'Content-Type': 'text/css; charset=utf-8' }));
  // Only the static files are compressed: a compressed event stream would be buffered.
  app.use('/app.js', compress());
  app.use('/styles.css', compress());
  app.get('/app.js', (c) => c.body(script, 200, { ...staticHeaders, 'Content-Type': 'text/javascript; charset=utf-8' }));

  return {
    app,
    engine,
    providerName,
    async close() {
      await engine.stop({ graceMs: 2000 });
      await storage.close();
      users.close();
    },
  };
}
