import { afterEach, describe, expect, it } from 'vitest';
import { createJsonCache } from '../../src/adapters/http/json-cache.js';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
afterEach(() => app.close());

/** A GET as `user`, with `etag` as If-None-Match when given. */
async function read(path: string, etag?: string | null, user = 'alice') {
  const response = await app.call('GET', path, { user, headers: etag ? { 'if-none-match': etag } : {} });
  return { status: response.status, etag: response.headers.get('etag'), text: await response.text() };
}

describe('conditional GET /api/batch/status', () => {
  it('answers 304 without a body while the batch is unchanged, and 200 with a new tag once it changed', async () => {
    app = await createTestApp({ start: false });
    await app.grant('alice', 5);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'a dog'] } })).body.batch_id;
    const path = `/api/batch/status?batch_id=${encodeURIComponent(batchId)}`;

    const first = await read(path);
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^W\/".+"$/);
    expect(JSON.parse(first.text)).toMatchObject({ batchId, status: 'pending' });

    const again = await read(path, first.etag);
    expect(again).toEqual({ status: 304, etag: first.etag, text: '' });
    // A list of tags, one of them current, and `*` match too; another tag does not.
    expect((await read(path, `W/"other", ${first.etag}`)).status).toBe(304);
    expect((await read(path, '*')).status).toBe(304);
    expect((await read(path, 'W/"other"')).status).toBe(200);
    // Without the header: the same JSON again (from the handler's cache), same tag.
    expect(await read(path)).toEqual(first);

    await app.engine.start();
    await app.engine.onIdle();
    const changed = await read(path, first.etag);
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
    expect(JSON.parse(changed.text)).toMatchObject({ status: 'completed', completedTasks: 2 });
    expect((await read(path, changed.etag)).status).toBe(304);
  });

  it("answers another user's If-None-Match, even the current tag, with 404 first", async () => {
    app = await createTestApp();
    await app.grant('alice', 5);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } })).body.batch_id;
    await app.engine.onIdle();
    const path = `/api/batch/status?batch_id=${encodeURIComponent(batchId)}`;
    const { etag } = await read(path);
    for (const tag of [etag, '*']) {
      const stranger = await read(path, tag, 'bob');
      expect(stranger.status).toBe(404);
      expect(stranger.etag).toBeNull();
      expect(JSON.parse(stranger.text)).toMatchObject({ code: 'not_found' });
    }
  });

  it('gives a finished batch a new tag when its signed image URLs move to the next expiry step', async () => {
    let clock = Date.UTC(2026, 0, 1);
    app = await createTestApp({ handler: { now: () => clock, imageUrlTtlSeconds: 3600 } });
    await app.grant('alice', 5);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } })).body.batch_id;
    await app.engine.onIdle();
    const path = `/api/batch/status?batch_id=${encodeURIComponent(batchId)}`;
    const first = await read(path);
    expect((await read(path, first.etag)).status).toBe(304);
    clock += 900_000; // one step: a quarter of the lifetime
    const later = await read(path, first.etag);
    expect(later.status).toBe(200);
    expect(later.etag).not.toBe(first.etag);
    const url = (text: string) => new URL(JSON.parse(text).tasks[0].result.imageUrl, 'http://test.local').searchParams.get('exp');
    expect(Number(url(later.text))).toBe(Number(url(first.text)) + 900);
  });
});

describe('the cached batch JSON', () => {
  it('is the same text in the status answer and in the event stream of a finished batch', async () => {
    app = await createTestApp();
    await app.grant('alice', 5);
    const batchId = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'a dog'] } })).body.batch_id;
    await app.engine.onIdle();
    const status = await read(`/api/batch/status?batch_id=${encodeURIComponent(batchId)}`);
    const stream = await (await app.call('GET', `/api/batch/events?batch_id=${encodeURIComponent(batchId)}`)).text();
    expect(stream).toContain(`event: snapshot\ndata: ${status.text}\n\n`);
    expect(stream).toContain(`event: completed\ndata: ${status.text}\n\n`);
  });
});

describe('conditional GET /api/batch/list and /api/records', () => {
  it('answers 304 on a repeated list, 200 with a new tag after a new batch, and tags each user apart', async () => {
    app = await createTestApp({ start: false });
    await app.grant('alice', 5);
    await app.grant('bob', 5);
    await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } });
    await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cow'] } });
    const first = await read('/api/batch/list');
    expect(first.status).toBe(200);
    expect((await read('/api/batch/list', first.etag)).status).toBe(304);
    // Another page is another answer.
    expect((await read('/api/batch/list?limit=1', first.etag)).status).toBe(200);
    // Bob's empty list is not Alice's: her tag gets him his own 200.
    const bobs = await read('/api/batch/list', first.etag, 'bob');
    expect(bobs.status).toBe(200);
    expect(JSON.parse(bobs.text)).toEqual({ batches: [], next_cursor: null });
    expect(bobs.etag).not.toBe(first.etag);

    await app.send('POST', '/api/batch/generate', { body: { prompts: ['a dog'] } });
    const after = await read('/api/batch/list', first.etag);
    expect(after.status).toBe(200);
    expect(JSON.parse(after.text).batches).toHaveLength(3);
    expect(after.etag).not.toBe(first.etag);
  });

  it('answers 304 on repeated records and 200 with a new tag after a new generation', async () => {
    app = await createTestApp();
    await app.grant('alice', 5);
    const empty = await read('/api/records');
    expect(JSON.parse(empty.text).records).toEqual([]);
    expect((await read('/api/records', empty.etag)).status).toBe(304);
    expect((await app.send('POST', '/api/generate', { body: { prompt: 'a lighthouse' } })).status).toBe(200);
    const one = await read('/api/records', empty.etag);
    expect(one.status).toBe(200);
    expect(JSON.parse(one.text).records).toHaveLength(1);
    expect((await read('/api/records', one.etag)).status).toBe(304);
    expect((await read('/api/records', one.etag, 'bob')).status).toBe(200);
  });
});

describe('createJsonCache', () => {
  it('builds once per tag and forgets the least recently used key past its size', async () => {
    app = await createTestApp({ start: false });
    const cache = createJsonCache(2);
    let builds = 0;
    const build = (value: unknown) => async () => (builds++, value);
    expect(await cache.get('a', '1', build({ a: 1 }))).toBe('{"a":1}');
    expect(await cache.get('a', '1', build({ a: 'again' }))).toBe('{"a":1}');
    expect(builds).toBe(1);
    expect(await cache.get('a', '2', build({ a: 2 }))).toBe('{"a":2}');
    await cache.get('b', '1', build({ b: 1 }));
    await cache.get('a', '2', build(null)); // touches a: b is now the oldest
    await cache.get('c', '1', build({ c: 1 }));
    expect(cache.size).toBe(2);
    expect(builds).toBe(4);
    expect(await cache.get('a', '2', build(null))).toBe('{"a":2}');
    expect(await cache.get('b', '1', build({ b: 'rebuilt' }))).toBe('{"b":"rebuilt"}');
    expect(builds).toBe(5);
  });
});
