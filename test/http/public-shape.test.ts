import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBflProvider } from '../../src/adapters/providers/bfl/index.js';
import { decodeRef } from '../../src/adapters/providers/provider-kit/request-ref.js';
import { routeTable } from '../../src/adapters/http/routes/index.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import { startFakeBfl } from '../support/fake-bfl-server.js';
import { createTestApp, type TestApp } from './app.js';
import { exchangeWebhooks, prepareExchanges, routeExchanges } from './route-exchanges.js';

// Every endpoint is called over the BFL adapter (a local server speaking BFL's API), whose stored
// request ids hold the key's fingerprint and the polling URL: none of it may reach a response.

const API_KEY = 'bfl-secret-key-0123456789';
let fake: Awaited<ReturnType<typeof startFakeBfl>>;
let app: TestApp;
let bfl: ReturnType<typeof createBflProvider>;
let exchanges: ReturnType<typeof routeExchanges>;

/** BFL, except that prompts containing `doomed` fail after their request was created (so the failure carries a request id). */
function failingDoomed(provider: ProviderAdapter): ProviderAdapter {
  return {
    name: provider.name,
    capabilities: provider.capabilities,
    pollPolicy: { pollIntervalMs: 5, maxPolls: 200 },
    submit: async (input, ctx) => {
      const submitted = await provider.submit(input, ctx);
      return input.prompt.includes('doomed')
        ? { requestId: submitted.requestId, status: { state: 'failed', reason: 'provider_error', message: 'broke' } }
        : submitted;
    },
    poll: (requestId, ctx) => provider.poll(requestId, ctx),
    cancel: (requestId) => provider.cancel?.(requestId) ?? Promise.resolve(),
    download: (url, ctx) => provider.download!(url, ctx),
  };
}

/** Text that must never be in a response: the internal reference's parts and the storage-only fields. */
function forbidden(): string[] {
  const [key] = bfl.keyStats();
  return [
    fake.url,
    new URL(fake.url).host,
    'get_result',
    API_KEY,
    key!.fingerprint,
    key!.label,
    'providerRequestId',
    'leaseExpiresAt',
    'provider_request_id',
    'lease_expires_at',
  ];
}

/** The body, and every base64url run in it decoded (a stored reference hides its URL and key that way). */
async function bodyText(response: Response): Promise<string> {
  const type = response.headers.get('content-type') ?? '';
  const text = type.startsWith('image/') ? '' : await response.text();
  return revealed(text);
}

function revealed(text: string): string {
  const decoded = [...text.matchAll(/[A-Za-z0-9_-]{16,}/g)].map((m) => Buffer.from(m[0], 'base64url').toString('latin1'));
  return [text, ...decoded].join('\n');
}

beforeAll(async () => {
  fake = await startFakeBfl({ latencyMs: 5 });
  bfl = createBflProvider({ apiKeys: API_KEY, region: fake.url });
  app = await createTestApp({ engine: { provider: failingDoomed(bfl) }, handler: { webhooks: exchangeWebhooks() } });
  exchanges = routeExchanges(app, await prepareExchanges(app));
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

describe('responses show the public shape of tasks and records', () => {
  it('stores the internal reference: the test would see a leak', async () => {
    const stored = (await app.engine.records.list('alice', { limit: 1 })).items[0]!;
    const ref = decodeRef(stored.requestId);
    expect(ref.url).toContain(fake.url);
    expect(ref.key).toBe(bfl.keyStats()[0]!.fingerprint);
  });

  it.each(routeTable.map((route) => `${route.method} ${route.path}`))('%s sends no key label, provider URL or lease field', async (key) => {
    const texts = await Promise.all((await exchanges[key]!()).map(bodyText));
    for (const text of texts) for (const secret of forbidden()) expect(text).not.toContain(secret);
  });

  it('a failed text-to-image, first and replayed, carries the provider’s own request id', async () => {
    const first = await app.call('POST', '/api/generate', { body: { prompt: 'doomed fox' }, headers: { 'idempotency-key': 'leak-1' } });
    const replay = await app.call('POST', '/api/generate', { body: { prompt: 'doomed fox' }, headers: { 'idempotency-key': 'leak-1' } });
    for (const response of [first, replay]) {
      expect(response.status).toBe(502);
      const text = revealed(await response.text());
      for (const secret of forbidden()) expect(text).not.toContain(secret);
      expect(JSON.parse(text.split('\n')[0]!).request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('result.requestId and request_id are the id BFL gave, and the documented extras are there', async () => {
    const generated = await app.send('POST', '/api/generate', { body: { prompt: 'an owl' } });
    const stored = (await app.engine.records.list('alice', { limit: 1 })).items[0]!;
    expect(generated.body.request_id).toBe(decodeRef(stored.requestId).id);
    expect(generated.body.request_id).toMatch(/^[0-9a-f-]{36}$/);

    const batch = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a hen'] } });
    await app.engine.onIdle();
    const status = await app.send('GET', `/api/batch/status?batch_id=${batch.body.batch_id}`);
    const task = status.body.tasks[0];
    const storedTask = (await app.engine.storage.getTask(batch.body.batch_id, 0))!;
    expect(Object.keys(task).sort()).toEqual(
      ['attempts', 'completedAt', 'createdAt', 'error', 'params', 'progress', 'prompt', 'result', 'startedAt', 'status', 'taskId'].sort(),
    );
    expect(task.result.requestId).toBe(decodeRef(storedTask.result!.requestId).id);
    expect(task.result.requestId).not.toBe(storedTask.result!.requestId);
  });
});
