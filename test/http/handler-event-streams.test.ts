import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
afterEach(() => app.close());

/** Opens `GET /batch/events` as `user`; `abort` closes it as a browser tab would. */
async function openStream(batchId: string, user = 'alice') {
  const controller = new AbortController();
  const response = await app.handler(
    new Request(`http://test.local/api/batch/events?batch_id=${encodeURIComponent(batchId)}`, {
      headers: { authorization: `Bearer token-${user}` },
      signal: controller.signal,
    }),
  );
  return { response, abort: () => controller.abort() };
}

describe('open event streams per user', () => {
  it('answers the sixth stream of a user 429 with retry_after before opening it, charges nothing, and frees a slot when one closes', async () => {
    // Not started: the batch stays pending and every stream stays open.
    app = await createTestApp({ start: false });
    await app.grant('alice', 10);
    await app.grant('bob', 10);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 2 } })).body.batch_id;
    const bobBatch = (await app.send('POST', '/api/batch/generate', { user: 'bob', body: { prompt: 'a dog', count: 1 } })).body.batch_id;
    const balances = async () => [await app.engine.credits.balance('alice'), await app.engine.credits.balance('bob')];
    const before = await balances();

    const streams = [];
    for (let i = 0; i < 5; i++) streams.push(await openStream(batchId));
    expect(streams.map((s) => s.response.status)).toEqual([200, 200, 200, 200, 200]);

    const refused = await openStream(batchId);
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.response.headers.get('retry-after')).toBe('5');
    expect(await refused.response.json()).toMatchObject({ code: 'rate_limited', retry_after: 5 });

    // Another user has slots of their own.
    const bobs = await openStream(bobBatch, 'bob');
    expect(bobs.response.status).toBe(200);

    // A stream that closes gives its slot back.
    streams[0]!.abort();
    const again = await openStream(batchId);
    expect(again.response.status).toBe(200);
    expect(await balances()).toEqual(before);

    for (const s of [...streams, again, bobs]) s.abort();
  });

  it('does not count a stream that never opened (404) and honours maxEventStreamsPerUser', async () => {
    app = await createTestApp({ start: false, handler: { maxEventStreamsPerUser: 1 } });
    await app.grant('alice', 10);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 1 } })).body.batch_id;
    for (let i = 0; i < 3; i++) expect((await openStream('batch:alice:1')).response.status).toBe(404);
    const one = await openStream(batchId);
    expect(one.response.status).toBe(200);
    expect((await openStream(batchId)).response.status).toBe(429);
    one.abort();
    const next = await openStream(batchId);
    expect(next.response.status).toBe(200);
    next.abort();
  });

  it('frees the slot when the batch completes and the stream ends', async () => {
    app = await createTestApp({ handler: { maxEventStreamsPerUser: 1 } });
    await app.grant('alice', 10);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompt: 'a cat', count: 1 } })).body.batch_id;
    await app.engine.onIdle();
    for (let i = 0; i < 3; i++) {
      const { response } = await openStream(batchId);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('event: completed');
    }
  });
});
