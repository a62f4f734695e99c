import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ provider: { failWhen: (input) => (input.prompt === 'doomed' ? { reason: 'provider_error', message: 'no' } : null) } });
  await app.grant('alice', 10);
});
afterEach(() => app.close());

const post = (path: string, body: unknown, key: string, user = 'alice') => app.call('POST', path, { user, body, headers: { 'idempotency-key': key } });

describe('Idempotency-Key', () => {
  it('20 concurrent requests with one key charge once and all get the same status and body', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('/api/batch/generate', { prompts: ['a', 'b', 'c'] }, 'key-1')));
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(texts).size).toBe(1);
    expect(JSON.parse(texts[0]!)).toMatchObject({ total_tasks: 3, credits_deducted: 3, credits_remaining: 7 });
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect(await app.engine.credits.balance('alice')).toBe(7);
    expect((await app.send('GET', '/api/batch/list')).body.batches).toHaveLength(1);
  });

  it('the same key with another body is a 409 and charges nothing', async () => {
    await post('/api/batch/generate', { prompts: ['a'] }, 'key-2');
    const response = await post('/api/batch/generate', { prompts: ['b'] }, 'key-2');
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'conflict', reason: 'idempotency_mismatch', field: 'Idempotency-Key' });
    expect(await app.engine.credits.balance('alice')).toBe(9);
  });

  it('keys are per user: two users may use the same key', async () => {
    await app.grant('bob', 1);
    expect((await post('/api/batch/generate', { prompts: ['a'] }, 'shared', 'alice')).status).toBe(200);
    expect((await post('/api/batch/generate', { prompts: ['a'] }, 'shared', 'bob')).status).toBe(200);
    expect(await app.engine.credits.balance('bob')).toBe(0);
  });

  it('a request that failed before doing anything (402) frees its key for another try', async () => {
    const first = await post('/api/batch/generate', { prompt: 'x', count: 10 }, 'key-3');
    expect(first.status).toBe(200);
    const broke = await post('/api/batch/generate', { prompts: ['a'] }, 'key-4');
    expect(broke.status).toBe(402);
    await app.grant('alice', 1);
    expect((await post('/api/batch/generate', { prompts: ['a'] }, 'key-4')).status).toBe(200);
  });

  it('a retry of a failed task replays with the same key and charges once', async () => {
    const { body } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['doomed'] } });
    await app.engine.onIdle();
    const ref = { batch_id: body.batch_id, task_index: 0 };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/api/batch/retry', ref, 'retry-1')));
    const texts = await Promise.all(answers.map((r) => r.text()));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(texts).size).toBe(1);
    expect(await app.engine.credits.balance('alice')).toBe(8);
  });

  it('a duplicate that cannot wait for the first (idempotencyWaitMs) gets a 409 saying it is still running', async () => {
    const slow = await createTestApp({ provider: { latencyMs: 300 }, engine: { pollPolicy: { pollIntervalMs: 20 } }, handler: { idempotencyWaitMs: 20 } });
    await slow.grant('alice', 5);
    const send = () => slow.call('POST', '/api/generate', { body: { prompt: 'slow one' }, headers: { 'idempotency-key': 'slow-1' } });
    const [first, second] = await Promise.all([send(), new Promise((r) => setTimeout(r, 30)).then(send)]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ code: 'conflict', reason: 'idempotency_pending' });
    expect(await slow.engine.credits.balance('alice')).toBe(4);
    const third = await send(); // once the first is done, the key replays
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    await slow.close();
  });

  it('rejects a malformed key with a 400 naming the header', async () => {
    const response = await post('/api/batch/generate', { prompts: ['a'] }, 'has spaces');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'Idempotency-Key' });
  });
});
