import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const api = createClient({ baseUrl: 'http://api.test/api', token: 't', retries: 1 });

describe('client error paths', () => {
  it('rejects an answer that does not match the schema with code invalid_response', async () => {
    server.use(http.get('http://api.test/api/credits', () => HttpResponse.json({ balance: 'lots' })));
    await expect(api.credits()).rejects.toMatchObject({
      name: 'ImageGenApiError',
      code: 'invalid_response',
      details: { field: 'balance' },
    });
  });

  it('keeps the fields of an error body as details (429 with retry_after)', async () => {
    server.use(
      http.post('http://api.test/api/generate', () =>
        HttpResponse.json({ error: 'slow down', code: 'rate_limited', retry_after: 30 }, { status: 429, headers: { 'Retry-After': '30' } }),
      ),
    );
    await expect(api.generate({ prompt: 'x' })).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
      message: 'slow down',
      details: { retry_after: 30 },
    });
  });

  it('retries a 503 and then reports it, with an http_ code when the body is not JSON', async () => {
    let calls = 0;
    server.use(
      http.get('http://api.test/api/batch/list', () => {
        calls += 1;
        return new HttpResponse('<html>down</html>', { status: 503 });
      }),
    );
    await expect(api.listBatches()).rejects.toMatchObject({ status: 503, code: 'http_503' });
    expect(calls).toBe(2);
  });

  it('reports a network failure with status 0 and code network', async () => {
    server.use(http.get('http://api.test/api/batch/status', () => HttpResponse.error()));
    await expect(api.batchStatus('batch:a:1')).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('sends the bearer token from a function, read on every request', async () => {
    let token = 'first';
    const seen: string[] = [];
    server.use(
      http.get('http://api.test/api/credits', ({ request }) => {
        seen.push(request.headers.get('authorization') ?? '');
        return HttpResponse.json({ balance: 1, grants: [], entries: [], next_cursor: null });
      }),
    );
    const dynamic = createClient({ baseUrl: 'http://api.test/api', token: () => token });
    await dynamic.credits();
    token = 'second';
    await dynamic.credits();
    expect(seen).toEqual(['Bearer first', 'Bearer second']);
  });

  it('waitForBatch stops when its signal aborts', async () => {
    server.use(
      http.get('http://api.test/api/batch/status', () =>
        HttpResponse.json({
          batchId: 'batch:a:1',
          username: 'a',
          tasks: [],
          totalTasks: 0,
          completedTasks: 0,
          failedTasks: 0,
          cancelledTasks: 0,
          status: 'processing',
          createdAt: 1,
          updatedAt: 1,
        }),
      ),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(api.waitForBatch('batch:a:1', { interval: 10, signal: controller.signal })).rejects.toThrow('stop');
  });
});
