import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp();
  await app.grant('alice', 3);
});
afterEach(() => app.close());

describe('error answers', () => {
  it('400 names the bad field and charges nothing', async () => {
    const { status, body } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['ok', ''] } });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'validation', field: 'prompts.1', error: expect.stringContaining('prompts.1') });
    expect((await app.send('POST', '/api/batch/generate', { body: { prompts: Array(11).fill('x') } })).body.field).toBe('prompts');
    expect((await app.send('GET', '/api/batch/status')).body).toMatchObject({ code: 'validation', field: 'batch_id' });
    expect((await app.send('POST', '/api/batch/generate', { body: '{"prompts": [' })).body).toMatchObject({
      code: 'validation',
      field: 'body',
    });
    expect((await app.send('GET', '/api/batch/list?limit=0')).body).toMatchObject({ code: 'validation', field: 'limit' });
    expect(await app.engine.credits.balance('alice')).toBe(3);
  });

  it('401 without a token or with an unknown one, with WWW-Authenticate', async () => {
    const none = await app.send('GET', '/api/credits', { user: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await app.handler(new Request('http://test.local/api/credits', { headers: { authorization: 'Basic abc' } }));
    expect(bad.status).toBe(401);
  });

  it('402 carries required and available, and creates no batch', async () => {
    const { status, body } = await app.send('POST', '/api/batch/generate', { body: { prompt: 'x', count: 5 } });
    expect(status).toBe(402);
    expect(body).toMatchObject({ code: 'insufficient_credits', required: 5, available: 3 });
    expect((await app.send('GET', '/api/batch/list')).body.batches).toEqual([]);
  });

  it('404 for an unknown route and an unknown batch; 405 for a wrong method', async () => {
    expect((await app.send('GET', '/api/nothing-here')).status).toBe(404);
    expect((await app.send('GET', '/elsewhere')).status).toBe(404);
    expect((await app.send('GET', '/api/batch/status?batch_id=batch:alice:123')).body).toMatchObject({ code: 'not_found' });
    const wrong = await app.send('GET', '/api/batch/generate');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('409 when retrying a task that has not failed', async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['fine'] } });
    await app.engine.onIdle();
    const { status, body } = await app.send('POST', '/api/batch/retry', { body: { batch_id: created.batch_id, task_index: 0 } });
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: 'conflict', reason: 'task_not_failed' });
    expect(await app.engine.credits.balance('alice')).toBe(2);
  });

  it('413 stops reading a body as soon as it passes the limit, whatever Content-Length says', async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(`{"prompts":["${'x'.repeat(16 * 1024)}`);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await app.handler(
      new Request('http://test.local/api/batch/generate', {
        method: 'POST',
        headers: { authorization: 'Bearer token-alice', 'content-type': 'application/json' },
        body: endless,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload_too_large', limit: 65536 });
    expect(pulled).toBeLessThan(10); // 64 KiB limit, 16 KiB chunks: it never read the whole stream
  });

  it('413 at once when Content-Length is over the limit', async () => {
    const small = await createTestApp({ handler: { maxBodyBytes: 100 } });
    const response = await small.send('POST', '/api/batch/generate', { body: { prompts: ['x'.repeat(200)] } });
    expect(response.status).toBe(413);
    await small.close();
  });

  it('429 with Retry-After when a user sends more charging requests than the rate limit allows', async () => {
    const limited = await createTestApp({ handler: { rateLimit: { max: 2, windowMs: 60_000 } } });
    await limited.grant('alice', 10);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await limited.send('POST', '/api/batch/generate', { body: { prompts: ['x'] } }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.body).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.engine.credits.balance('alice')).toBe(8);
    await limited.close();
  });

  it('429 also from a shared RateLimiter (the port the Redis limiter implements), asked once per charging request', async () => {
    const asked: string[] = [];
    const limited = await createTestApp({
      handler: { rateLimit: { take: async (username) => (asked.push(username), { allowed: false, retryAfterMs: 2500 }) } },
    });
    await limited.grant('alice', 5);
    const { status, body, headers } = await limited.send('POST', '/api/generate', { body: { prompt: 'x' } });
    expect(status).toBe(429);
    expect(body).toMatchObject({ code: 'rate_limited', retry_after: 3 });
    expect(headers.get('retry-after')).toBe('3');
    expect(asked).toEqual(['alice']);
    expect(await limited.engine.credits.balance('alice')).toBe(5);
    await limited.close();
  });

  it('500 reveals nothing about an unexpected error and reports it to the host', async () => {
    const reported: unknown[] = [];
    const broken = await createTestApp({
      handler: {
        onError: (error) => reported.push(error),
        authenticate: () => {
          throw new Error('database password is hunter2');
        },
      },
    });
    const { status, body } = await broken.send('GET', '/api/credits');
    expect(status).toBe(500);
    expect(body).toEqual({ error: expect.any(String), code: 'internal' });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(reported).toHaveLength(1);
    await broken.close();
  });
});

describe('CORS', () => {
  it('answers preflights and tags responses for allowed origins only', async () => {
    const cors = await createTestApp({ handler: { cors: { origin: ['https://app.example'] } } });
    const preflight = await cors.handler(
      new Request('http://test.local/api/batch/generate', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const other = await cors.handler(
      new Request('http://test.local/api/credits', { headers: { origin: 'https://evil.example', authorization: 'Bearer token-alice' } }),
    );
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await cors.close();
  });
});
