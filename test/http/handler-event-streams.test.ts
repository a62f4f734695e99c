import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchEventHub } from '../../src/adapters/http/batch-event-hub.js';
import { parseEventStream } from '../../src/client/sse.js';
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

/** A stream read in the background: `events` fills as they arrive; `until` waits for one that matches. */
function collect({ response, abort }: { response: Response; abort: () => void }) {
  const events: Array<{ event: string; data: any }> = [];
  const finished = (async () => {
    for await (const e of parseEventStream(response.body!)) events.push({ event: e.event, data: JSON.parse(e.data) });
  })();
  const until = async (match: (e: { event: string; data: any }) => boolean, count = 1) => {
    const deadline = Date.now() + 5000;
    while (events.filter(match).length < count) {
      if (Date.now() > deadline) throw new Error(`no such event after 5 s; saw ${events.map((e) => e.event).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    events,
    finished,
    until,
    stop: async () => {
      abort();
      await finished;
    },
  };
}

describe('event streams share one hub per process', () => {
  it('tells each stream only about its own batch, through one engine listener whatever the number of streams', async () => {
    app = await createTestApp({ start: false });
    await app.grant('alice', 10);
    await app.grant('bob', 10);
    const first = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'a dog'] } })).body.batch_id;
    const second = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a bird', 'a fish', 'a frog'] } })).body.batch_id;
    const bobs = (await app.send('POST', '/api/batch/generate', { user: 'bob', body: { prompts: ['a cow'] } })).body.batch_id;
    const before = app.engine.events.listenerCount('task:progress');
    const streams = [
      { batchId: first, stream: collect(await openStream(first)) },
      { batchId: first, stream: collect(await openStream(first)) },
      { batchId: second, stream: collect(await openStream(second)) },
      { batchId: bobs, stream: collect(await openStream(bobs, 'bob')) },
    ];
    expect(app.engine.events.listenerCount('task:progress')).toBe(before + 1);
    expect(batchEventHub(app.engine, 2000).size).toBe(4);

    await app.engine.start();
    await Promise.all(streams.map((s) => s.stream.finished));
    const tasksOf: Record<string, number> = { [first]: 2, [second]: 3, [bobs]: 1 };
    for (const { batchId, stream } of streams) {
      expect(stream.events.length).toBeGreaterThan(2);
      for (const { event, data } of stream.events) {
        if (event === 'task') expect(data.taskId.startsWith(`${batchId}:`)).toBe(true);
        else expect(data.batchId).toBe(batchId);
      }
      expect(stream.events.filter((e) => e.event === 'task')).toHaveLength(tasksOf[batchId]!);
      expect(stream.events.at(-1)).toMatchObject({ event: 'completed', data: { batchId, status: 'completed' } });
    }
    // Every stream ended: the hub let go of the engine.
    expect(batchEventHub(app.engine, 2000).size).toBe(0);
    expect(app.engine.events.listenerCount('task:progress')).toBe(before);
  });

  it('notices with one shared storage read per batch a change another process made (no event here)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      app = await createTestApp({ start: false, handler: { eventsRecheckMs: 1000 } });
      await app.grant('alice', 10);
      const changed = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } })).body.batch_id;
      const quiet = (await app.send('POST', '/api/batch/generate', { body: { prompts: ['a dog'] } })).body.batch_id;
      const watching = [];
      for (let i = 0; i < 3; i++) watching.push(collect(await openStream(changed)));
      const other = collect(await openStream(quiet));
      for (const s of [...watching, other]) await s.until((e) => e.event === 'snapshot');

      const { storage } = app.engine;
      const reads: string[] = [];
      const getBatch = storage.getBatch.bind(storage);
      storage.getBatch = (batchId) => (reads.push(batchId), getBatch(batchId));
      // What a worker in another process does: storage changes, this process hears nothing.
      const now = Date.now();
      expect(
        await storage.claimTask(changed, 0, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 60_000, progress: 10 }),
      ).not.toBeNull();
      vi.advanceTimersByTime(1000);

      for (const s of watching) {
        await s.until((e) => e.event === 'snapshot' && e.data.tasks[0].status === 'processing');
        expect(s.events.filter((e) => e.event === 'snapshot')).toHaveLength(2);
      }
      expect(reads.sort()).toEqual([changed, quiet].sort());
      expect(other.events.filter((e) => e.event === 'snapshot')).toHaveLength(1);
      for (const s of [...watching, other]) await s.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
