import { createEngine, type Engine } from '../../src/core/engine.js';
import { createRequestHandler, type RequestHandler, type RequestHandlerOptions } from '../../src/adapters/http/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider, type OfflineProviderOptions } from '../../src/adapters/providers/offline/index.js';
import { parseEventStream, type ServerSentEvent } from '../../src/client/sse.js';

/** The `imageUrlSecret` of every test handler. */
export const TEST_IMAGE_URL_SECRET = 'test-image-url-secret-0123456789abcdef';

export interface TestApp {
  engine: Engine;
  handler: RequestHandler;
  /** Sends a request as `user` (a bearer token `token-{user}`; `null` sends none). */
  call(method: string, path: string, init?: { user?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Sends and parses the JSON answer. */
  send<T = any>(
    method: string,
    path: string,
    init?: { user?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  grant(user: string, amount: number): Promise<void>;
  close(): Promise<void>;
}

/** A handler over a real engine (memory storage, offline provider, memory images). Users sign in as `token-{name}`. */
export async function createTestApp(
  options: {
    start?: boolean;
    provider?: OfflineProviderOptions;
    handler?: Partial<RequestHandlerOptions>;
    engine?: Partial<Parameters<typeof createEngine>[0]>;
  } = {},
): Promise<TestApp> {
  const storage = createMemoryStorage();
  const imageStore = createMemoryImageStore();
  const provider = createOfflineProvider({ size: 64, pollsBeforeReady: 1, ...options.provider });
  const engine = createEngine({
    storage,
    provider,
    imageStore,
    pollPolicy: { pollIntervalMs: 5 },
    logger: { warn() {}, error() {} },
    ...options.engine,
  });
  if (options.start !== false) await engine.start();
  const handler = createRequestHandler({
    engine,
    authenticate: (request) => {
      const match = /^Bearer token-(.+)$/.exec(request.headers.get('authorization') ?? '');
      return match ? { username: match[1]! } : null;
    },
    onError: () => {},
    imageUrlSecret: TEST_IMAGE_URL_SECRET,
    ...options.handler,
  });
  const call: TestApp['call'] = (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const user = init.user === undefined ? 'alice' : init.user;
    if (user !== null) headers.authorization = `Bearer token-${user}`;
    let body: BodyInit | undefined;
    if (init.body instanceof FormData || typeof init.body === 'string') body = init.body;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return handler(new Request(`http://test.local${path}`, { method, headers, body }));
  };
  return {
    engine,
    handler,
    call,
    async send(method, path, init) {
      const response = await call(method, path, init);
      return { status: response.status, body: await response.json(), headers: response.headers };
    },
    async grant(user, amount) {
      await engine.credits.grant(user, amount, { idempotencyKey: `grant:${crypto.randomUUID()}` });
    },
    async close() {
      await engine.stop({ graceMs: 100 });
    },
  };
}

/** Reads a whole event stream. */
export async function readEvents(response: Response): Promise<Array<{ event: string; data: any }>> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseEventStream(response.body!)) events.push(event);
  return events.map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
}
