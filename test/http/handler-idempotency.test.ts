import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/adapters/http/idempotency.js';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({
    provider: { failWhen: (input) => (input.prompt === 'doomed' ? { reason: 'provider_error', message: 'no' } : null) },
  });
  await app.grant('alice', 10);
});
afterEach(() => app.close());

const post = (path: string, body: unknown, key: string, user = 'alice') =>
  app.call('POST', path, { user, body, headers: { 'idempotency-key': key } });

describe('Idempotency-Key', () => {
  it('20 concurrent requests with one key charge once and all get the same status and body', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post('/api/batch/generate', { prompts: ['a', 'b', 'c'] }, 'key-1')),
    );
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
    const slow = await createTestApp({
      provider: { latencyMs: 300 },
      engine: { pollPolicy: { pollIntervalMs: 20 } },
      handler: { idempotencyWaitMs: 20 },
    });
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

  describe('a request whose first attempt crashed (its keys left pending, its credit charged)', () => {
    // Engine keys go stale after 1 s, so the handler's own keys after 11 s.
    const staleApp = (waitMs: number) =>
      createTestApp({ engine: { idempotency: { staleAfterMs: 1_000 } }, handler: { idempotencyWaitMs: waitMs } });
    const body = { prompt: 'crashed once' };
    /** Leaves what a process killed mid-generation leaves, as if it began `ageMs` ago. */
    async function crash(target: TestApp, key: string, ageMs: number): Promise<void> {
      const began = Date.now() - ageMs;
      const fingerprint = await fingerprintOf('POST', '/api/generate', new TextEncoder().encode(JSON.stringify(body)));
      await target.engine.storage.beginIdempotent(`http:alice:${key}`, fingerprint, began);
      await target.engine.storage.beginIdempotent(`text_to_image:alice:idem:alice:${key}`, fingerprint, began + 5);
      await target.engine.credits.charge('alice', 1, { idempotencyKey: `charge:record:alice:${began + 5}` });
    }
    const send = (target: TestApp, key: string) => target.call('POST', '/api/generate', { body, headers: { 'idempotency-key': key } });

    it('within the staleness window it waits, then answers 409 idempotency_pending, charging nothing', async () => {
      const crashed = await staleApp(50);
      await crashed.grant('alice', 5);
      await crash(crashed, 'fresh', 10_000);
      const response = await send(crashed, 'fresh');
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ reason: 'idempotency_pending', field: 'Idempotency-Key' });
      expect(await crashed.engine.credits.balance('alice')).toBe(4);
      await crashed.close();
    });

    it('once its key is stale it runs again with the same key, charged once for the new run, and then replays', async () => {
      const crashed = await staleApp(50);
      await crashed.grant('alice', 5);
      await crash(crashed, 'stale', 11_001);
      const response = await send(crashed, 'stale');
      expect(response.status).toBe(200);
      expect(response.headers.get('idempotent-replayed')).toBeNull();
      const answer = await response.json();
      expect(answer).toMatchObject({ credits_remaining: 3 });
      const charges = async () => (await crashed.engine.credits.history('alice', { limit: 100 })).items.map((e) => e.amount);
      expect(await charges()).toEqual([-1, -1, 5]); // the crashed run's charge and the new run's
      const again = await send(crashed, 'stale');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(answer);
      expect(await charges()).toEqual([-1, -1, 5]);
      await crashed.close();
    });

    it('a duplicate waiting on the key takes it over when it goes stale during the wait', async () => {
      const crashed = await staleApp(5_000);
      await crashed.grant('alice', 5);
      await crash(crashed, 'waits', 11_000 - 300);
      const started = Date.now();
      const response = await send(crashed, 'waits');
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await crashed.engine.credits.balance('alice')).toBe(3);
      await crashed.close();
    });
  });

  it('rejects a malformed key with a 400 naming the header', async () => {
    const response = await post('/api/batch/generate', { prompts: ['a'] }, 'has spaces');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'Idempotency-Key' });
  });
});
