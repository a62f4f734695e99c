import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, isImageGenApiError, type ImageGenApiError } from '../../src/client/index.js';
import { createTestApp, type TestApp } from '../http/app.js';

let app: TestApp;
const seenKeys: string[] = [];
beforeEach(async () => {
  app = await createTestApp({ provider: { latencyMs: 30 } });
  await app.grant('alice', 10);
  seenKeys.length = 0;
});
afterEach(() => app.close());

/** ky's fetch, answered by the handler in process. */
const viaHandler = (wrap?: (request: Request, send: () => Promise<Response>) => Promise<Response>): typeof fetch =>
  (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const key = request.headers.get('idempotency-key');
    if (key) seenKeys.push(key);
    return wrap ? wrap(request, () => app.handler(request)) : app.handler(request);
  }) as typeof fetch;

const client = (wrap?: Parameters<typeof viaHandler>[0]) =>
  createClient({ baseUrl: 'http://test.local/api', token: 'token-alice', fetch: viaHandler(wrap) });

describe('client against the real handler', () => {
  it('submits a batch and waitForBatch polls until it completes, reporting progress', async () => {
    const api = client();
    const created = await api.submitBatch({ prompts: ['a cat', 'a dog'] });
    expect(created).toMatchObject({ total_tasks: 2, credits_deducted: 2, credits_remaining: 8 });
    const seen: number[] = [];
    const batch = await api.waitForBatch(created.batch_id, { interval: 20, onProgress: (b) => seen.push(b.completedTasks) });
    expect(batch.status).toBe('completed');
    expect(batch.tasks.every((t) => t.progress === 100 && t.result)).toBe(true);
    expect(seen.at(-1)).toBe(2);
    const image = await api.image(batch.tasks[0]!.result!.imageUrl);
    expect(image.type).toBe('image/png');
    expect(image.size).toBeGreaterThan(100);
  });

  it('downloads an image by its signed URL without sending the token (the URL may be a bucket or a CDN)', async () => {
    const imageRequests: Request[] = [];
    const api = client(async (request, send) => {
      if (new URL(request.url).pathname.startsWith('/api/images/')) imageRequests.push(request);
      return send();
    });
    const { image_url } = await api.generate({ prompt: 'a heron' });
    expect(image_url).toMatch(/^\/api\/images\/[^?]+\?exp=\d+&sig=/);
    const image = await api.image(image_url);
    expect(image.type).toBe('image/png');
    expect(imageRequests).toHaveLength(1);
    expect(imageRequests[0]!.headers.get('authorization')).toBeNull();
    const tampered = await api.image(image_url.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'))).catch((e) => e);
    expect(tampered).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('watchBatch yields from the event stream until the batch completes, progress never going down', async () => {
    const api = client();
    const { batch_id } = await api.submitBatch({ prompt: 'a fox', count: 3 });
    const updates = [];
    for await (const batch of api.watchBatch(batch_id)) updates.push(batch);
    expect(updates.at(-1)!.status).toBe('completed');
    expect(updates.at(-1)!.completedTasks).toBe(3);
    expect(updates.length).toBeGreaterThan(3);
    for (let i = 0; i < 3; i++) {
      const progress = updates.map((b) => b.tasks[i]!.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    }
  });

  it('watchBatch falls back to polling when the event stream fails', async () => {
    let streamTries = 0;
    const api = client(async (request, send) => {
      if (new URL(request.url).pathname === '/api/batch/events') {
        streamTries += 1;
        return new Response('bad gateway', { status: 502 });
      }
      return send();
    });
    const { batch_id } = await api.submitBatch({ prompts: ['a'] });
    let last;
    for await (const batch of api.watchBatch(batch_id, { interval: 20 })) last = batch;
    expect(streamTries).toBe(1);
    expect(last!.status).toBe('completed');
  });

  it('sends an Idempotency-Key on charging calls and reuses it when ky retries, so the server charges once', async () => {
    let dropped = false;
    const api = client(async (request, send) => {
      const response = await send();
      if (request.method === 'POST' && !dropped) {
        dropped = true; // the server did the work, but the answer is lost on the way back
        return new Response('upstream reset', { status: 503 });
      }
      return response;
    });
    const created = await api.submitBatch({ prompts: ['a', 'b'] });
    expect(seenKeys).toHaveLength(2);
    expect(seenKeys[0]).toBe(seenKeys[1]);
    expect(created.credits_remaining).toBe(8);
    expect(await app.engine.credits.balance('alice')).toBe(8);
    await api.submitBatch({ prompts: ['c'] });
    expect(seenKeys[2]).not.toBe(seenKeys[0]); // a new call, a new key
  });

  it('throws one error class carrying status, code and details', async () => {
    const api = client();
    const error = (await api
      .submitBatch({ prompt: 'x', count: 10 })
      .then(() => api.submitBatch({ prompts: ['y'] }))
      .catch((e) => e)) as ImageGenApiError;
    expect(isImageGenApiError(error)).toBe(true);
    expect(error).toMatchObject({ status: 402, code: 'insufficient_credits', details: { required: 1, available: 0 } });
    const missing = (await api.batchStatus('batch:alice:1').catch((e) => e)) as ImageGenApiError;
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    const anonymous = createClient({ baseUrl: 'http://test.local/api', fetch: viaHandler() });
    expect(await anonymous.credits().catch((e) => e)).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('lists batches and credits with paging, and retries a failed task', async () => {
    const failing = await createTestApp({
      provider: { failWhen: (i) => (i.prompt === 'doomed' ? { reason: 'provider_error', message: 'no' } : null) },
    });
    await failing.grant('alice', 5);
    const api = createClient({
      baseUrl: 'http://test.local/api',
      token: 'token-alice',
      fetch: ((i: RequestInfo | URL, init?: RequestInit) => failing.handler(new Request(i, init))) as typeof fetch,
    });
    const { batch_id } = await api.submitBatch({ prompts: ['doomed', 'fine'] });
    const done = await api.waitForBatch(batch_id, { interval: 10 });
    expect(done.failedTasks).toBe(1);
    const retried = await api.retryTask(batch_id, 0);
    expect(retried).toMatchObject({ credits_deducted: 1, credits_remaining: 2, task: { status: 'pending' } });
    expect((await api.listBatches({ limit: 1 })).batches[0]!.batchId).toBe(batch_id);
    const credits = await api.credits({ limit: 2 });
    expect(credits.balance).toBe(2);
    expect(credits.entries).toHaveLength(2);
    expect(credits.next_cursor).not.toBeNull();
    await failing.close();
  });

  it('cancelBatch cancels the waiting tasks and answers the same when sent again; a stranger gets 404', async () => {
    const slow = await createTestApp({ provider: { pollsBeforeReady: 100_000 }, engine: { concurrency: 1 } });
    await slow.grant('alice', 3);
    const fetchVia = ((i: RequestInfo | URL, init?: RequestInit) => slow.handler(new Request(i, init))) as typeof fetch;
    const api = createClient({ baseUrl: 'http://test.local/api', token: 'token-alice', fetch: fetchVia });
    const { batch_id } = await api.submitBatch({ prompt: 'a typo', count: 3 });
    const one = await api.cancelBatch(batch_id, { taskIndex: 2 });
    expect(one).toMatchObject({ batch_id, cancelled: [2], credits_refunded: 1, batch: { cancelledTasks: 1 } });
    const all = await api.cancelBatch(batch_id);
    expect(all.cancelled).toEqual([0, 1, 2]);
    expect(all.batch.status).toBe('completed');
    expect({ ...(await api.cancelBatch(batch_id)), batch: null }).toEqual({ ...all, batch: null });
    const stranger = createClient({ baseUrl: 'http://test.local/api', token: 'token-bob', fetch: fetchVia });
    expect(await stranger.cancelBatch(batch_id).catch((e) => e)).toMatchObject({ status: 404, code: 'not_found' });
    await slow.close();
  });
});
