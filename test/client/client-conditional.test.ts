import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { createTestApp, type TestApp } from '../http/app.js';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ start: false });
  await app.grant('alice', 10);
});
afterEach(() => app.close());

/** A client whose requests go to the handler in process; `exchanges` lists each path, If-None-Match and status. */
function client(user = 'alice') {
  const exchanges: Array<{ path: string; ifNoneMatch: string | null; status: number }> = [];
  const api = createClient({
    baseUrl: 'http://test.local/api',
    token: `token-${user}`,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const response = await app.handler(request);
      const url = new URL(request.url);
      exchanges.push({ path: url.pathname, ifNoneMatch: request.headers.get('if-none-match'), status: response.status });
      return response;
    }) as typeof fetch,
  });
  return { api, exchanges };
}

describe('the client revalidates status, list and records with If-None-Match', () => {
  it('sends the last ETag, reuses its last checked answer on 304 (as a copy), and takes the new one after a change', async () => {
    const { api, exchanges } = client();
    const { batch_id } = await api.submitBatch({ prompts: ['a cat', 'a dog'] });
    const first = await api.batchStatus(batch_id);
    expect(first.status).toBe('pending');
    first.tasks.length = 0; // what the caller does with its copy is its own business
    const second = await api.batchStatus(batch_id);
    expect(second.tasks).toHaveLength(2);
    const statusCalls = exchanges.filter((e) => e.path === '/api/batch/status');
    expect(statusCalls.map((e) => e.status)).toEqual([200, 304]);
    expect(statusCalls[0]!.ifNoneMatch).toBeNull();
    expect(statusCalls[1]!.ifNoneMatch).toMatch(/^W\/"/);

    await app.engine.start();
    await app.engine.onIdle();
    const done = await api.batchStatus(batch_id);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 2 });
    expect(exchanges.filter((e) => e.path === '/api/batch/status').map((e) => e.status)).toEqual([200, 304, 200]);
    expect(await api.batchStatus(batch_id)).toEqual(done);

    const list = await api.listBatches();
    expect(await api.listBatches()).toEqual(list);
    const records = await api.records();
    expect(await api.records()).toEqual(records);
    expect(exchanges.filter((e) => e.path !== '/api/batch/generate').map((e) => e.status)).toEqual([
      200, 304, 200, 304, 200, 304, 200, 304,
    ]);
  });

  it("never shows another user's batch from its copy: the 404 comes first", async () => {
    const alice = client();
    const { batch_id } = await alice.api.submitBatch({ prompts: ['a cat'] });
    await alice.api.batchStatus(batch_id);
    // One client whose token changes to another user's, as after signing in again.
    let token = 'token-alice';
    const shared = createClient({
      baseUrl: 'http://test.local/api',
      token: () => token,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => app.handler(new Request(input, init))) as typeof fetch,
    });
    await shared.batchStatus(batch_id);
    token = 'token-bob';
    await expect(shared.batchStatus(batch_id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});
