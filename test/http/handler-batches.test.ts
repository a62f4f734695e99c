import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, readEvents, type TestApp } from './app.js';

const TASK_FIELDS = ['taskId', 'prompt', 'params', 'status', 'progress', 'result', 'error', 'createdAt'];
const BATCH_FIELDS = [
  'batchId',
  'username',
  'tasks',
  'totalTasks',
  'completedTasks',
  'failedTasks',
  'cancelledTasks',
  'status',
  'createdAt',
  'updatedAt',
];

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({
    provider: {
      failWhen: (input) => (input.prompt.includes('doomed') ? { reason: 'provider_error', message: 'the provider broke' } : null),
    },
  });
  await app.grant('alice', 20);
});
afterEach(() => app.close());

describe('POST /api/batch/generate', () => {
  it('creates a batch from prompts and answers with exactly the documented fields', async () => {
    const { status, body } = await app.send('POST', '/api/batch/generate', {
      body: { prompts: ['a cat', 'a dog', 'a bird'], aspect_ratio: '16:9' },
    });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['batch_id', 'credits_deducted', 'credits_remaining', 'message', 'total_tasks']);
    expect(body).toEqual({
      message: '批量任务已创建',
      batch_id: expect.stringMatching(/^batch:alice:\d+$/),
      total_tasks: 3,
      credits_deducted: 3,
      credits_remaining: 17,
    });
  });

  it('creates a batch from prompt × count', async () => {
    const { body } = await app.send('POST', '/api/batch/generate', { body: { prompt: 'a landscape', count: 5 } });
    expect(body.total_tasks).toBe(5);
    expect(body.credits_remaining).toBe(15);
  });

  it('uses the host’s message when it overrides one', async () => {
    const custom = await createTestApp({ handler: { messages: { batchCreated: 'Batch created' } } });
    await custom.grant('alice', 1);
    const { body } = await custom.send('POST', '/api/batch/generate', { body: { prompts: ['x'] } });
    expect(body.message).toBe('Batch created');
    await custom.close();
  });
});

describe('GET /api/batch/status', () => {
  it('returns the batch record with every documented field, camelCase, tasks included', async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'a dog'], seed: 7 } });
    await app.engine.onIdle();
    const { status, body } = await app.send('GET', `/api/batch/status?batch_id=${encodeURIComponent(created.batch_id)}`);
    expect(status).toBe(200);
    for (const field of BATCH_FIELDS) expect(body).toHaveProperty(field);
    expect(body).toMatchObject({
      batchId: created.batch_id,
      username: 'alice',
      totalTasks: 2,
      completedTasks: 2,
      failedTasks: 0,
      status: 'completed',
    });
    for (const field of TASK_FIELDS) expect(body.tasks[0]).toHaveProperty(field);
    expect(body.tasks[1]).toMatchObject({
      taskId: `${created.batch_id}:1`,
      prompt: 'a dog',
      params: { aspect_ratio: '1:1', seed: 7, output_format: 'png' },
      status: 'completed',
      progress: 100,
      result: { imageUrl: expect.stringMatching(/^\/api\/images\/[^?]+\?exp=\d+&sig=[\w-]{43}$/), requestId: expect.any(String) },
      error: null,
    });
  });
});

describe('GET /api/batch/list', () => {
  it('pages newest first with limit and cursor, summaries without tasks and username', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await app.send('POST', '/api/batch/generate', { body: { prompts: [`p${i}`] } })).body.batch_id);
    const first = await app.send('GET', '/api/batch/list?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.batches.map((b: any) => b.batchId)).toEqual([ids[2], ids[1]]);
    expect(Object.keys(first.body.batches[0]).sort()).toEqual([
      'batchId',
      'cancelledTasks',
      'completedTasks',
      'createdAt',
      'failedTasks',
      'status',
      'totalTasks',
      'updatedAt',
    ]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await app.send('GET', `/api/batch/list?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.batches.map((b: any) => b.batchId)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();
  });
});

describe('POST /api/batch/process and /api/batch/retry', () => {
  it('process returns the task after running it', async () => {
    const idle = await createTestApp({ start: false }); // nothing runs in the background: process does the work
    await idle.grant('alice', 1);
    const { body: created } = await idle.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } });
    const { status, body } = await idle.send('POST', '/api/batch/process', { body: { batch_id: created.batch_id, task_index: 0 } });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      taskId: `${created.batch_id}:0`,
      status: 'completed',
      progress: 100,
      result: { imageUrl: expect.any(String) },
    });
    await idle.close();
  });

  it('retry queues a failed task again and charges one credit', async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['doomed'] } });
    await app.engine.onIdle();
    const { body: failed } = await app.send('GET', `/api/batch/status?batch_id=${created.batch_id}`);
    expect(failed.tasks[0]).toMatchObject({ status: 'failed', error: 'the provider broke' });
    const { status, body } = await app.send('POST', '/api/batch/retry', { body: { batch_id: created.batch_id, task_index: 0 } });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      message: '任务已重新排队',
      batch_id: created.batch_id,
      task_index: 0,
      credits_deducted: 1,
      credits_remaining: 18,
    });
    expect(body.task).toMatchObject({ status: 'pending', progress: 0, error: null });
  });
});

describe('GET /api/batch/events', () => {
  it('streams a snapshot, every progress change, each ended task, and ends when the batch completes', async () => {
    const idle = await createTestApp({
      start: false,
      provider: { failWhen: (input) => (input.prompt === 'doomed' ? { reason: 'provider_error', message: 'no' } : null) },
    });
    await idle.grant('alice', 3);
    const { body: created } = await idle.send('POST', '/api/batch/generate', { body: { prompts: ['a cat', 'doomed', 'a bird'] } });
    const response = await idle.call('GET', `/api/batch/events?batch_id=${created.batch_id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reading = readEvents(response);
    await idle.engine.start();
    const events = await reading;
    await idle.close();

    expect(events[0]).toMatchObject({ event: 'snapshot', data: { batchId: created.batch_id, status: 'pending' } });
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed', completedTasks: 2, failedTasks: 1 } });
    for (const index of [0, 1, 2]) {
      const progress = events.filter((e) => e.event === 'progress' && e.data.index === index).map((e) => e.data.progress);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress).toEqual([...progress].sort((a, b) => a - b)); // never goes down
    }
    const ended = events.filter((e) => e.event === 'task').map((e) => e.data);
    expect(ended.map((t) => t.status).sort()).toEqual(['completed', 'completed', 'failed']);
    expect(events.filter((e) => e.event === 'progress' && e.data.index === 0).at(-1)!.data).toMatchObject({
      status: 'completed',
      progress: 100,
    });
  });

  it('sends the snapshot and ends at once for a batch that is already complete', async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } });
    await app.engine.onIdle();
    const events = await readEvents(await app.call('GET', `/api/batch/events?batch_id=${created.batch_id}`));
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'completed']);
  });
});

describe('GET /api/batch/events when the client goes away', () => {
  it('stops listening to the engine once the reader cancels', async () => {
    const idle = await createTestApp({ start: false });
    await idle.grant('alice', 1);
    const { body: created } = await idle.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'] } });
    const before = idle.engine.events.listenerCount('task:progress');
    const response = await idle.call('GET', `/api/batch/events?batch_id=${created.batch_id}`);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:');
    expect(idle.engine.events.listenerCount('task:progress')).toBe(before + 1);
    await reader.cancel();
    expect(idle.engine.events.listenerCount('task:progress')).toBe(before);
    await idle.close();
  });
});

describe('POST /api/webhooks/:provider', () => {
  it('passes the request to the host’s webhook handler without sign-in, and is 404 when there is none', async () => {
    const seen: string[] = [];
    const hooked = await createTestApp({
      handler: { webhooks: async (_request, provider) => (seen.push(provider), new Response(null, { status: 204 })) },
    });
    expect((await hooked.call('POST', '/api/webhooks/bfl', { user: null, body: { id: 'x' } })).status).toBe(204);
    expect(seen).toEqual(['bfl']);
    expect((await app.call('POST', '/api/webhooks/bfl', { user: null, body: {} })).status).toBe(404);
    await hooked.close();
  });
});

describe('ownership', () => {
  it("answers 404 for another user's batch on status, process, retry and events, and charges nothing", async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['doomed'] } });
    await app.engine.onIdle();
    await app.grant('bob', 5);
    const ref = { batch_id: created.batch_id, task_index: 0 };
    const answers = await Promise.all([
      app.send('GET', `/api/batch/status?batch_id=${created.batch_id}`, { user: 'bob' }),
      app.send('POST', '/api/batch/process', { user: 'bob', body: ref }),
      app.send('POST', '/api/batch/retry', { user: 'bob', body: ref }),
      app.send('GET', `/api/batch/events?batch_id=${created.batch_id}`, { user: 'bob' }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'not_found' });
    }
    expect(await app.engine.credits.balance('bob')).toBe(5);
    // The same answer as for a batch that does not exist.
    const unknown = await app.send('GET', `/api/batch/status?batch_id=batch:alice:1`);
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(answers[0]!.body).sort());
  });

  it('serves an image by its signed URL, without a bearer header, with its content type and nosniff', async () => {
    const { body: created } = await app.send('POST', '/api/batch/generate', { body: { prompts: ['a cat'], output_format: 'webp' } });
    await app.engine.onIdle();
    const { body: batch } = await app.send('GET', `/api/batch/status?batch_id=${created.batch_id}`);
    const url: string = batch.tasks[0].result.imageUrl;
    const own = await app.call('GET', url, { user: null });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('image/webp');
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = new Uint8Array(await own.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(8, 12))).toBe('WEBP');
    // The stable URL kept in the record is a reference, not a way in: even its owner's bearer gets a 404.
    expect((await app.send('GET', url.split('?')[0]!)).status).toBe(404);
    expect((await app.send('GET', `/api/images/..%2Fetc?${url.split('?')[1]}`)).status).toBe(404);
  });
});

describe('GET /api/credits', () => {
  it('returns the balance and the ledger, newest first', async () => {
    await app.send('POST', '/api/batch/generate', { body: { prompts: ['a', 'b'] } });
    const { status, body } = await app.send('GET', '/api/credits?limit=10');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['balance', 'entries', 'grants', 'next_cursor']);
    expect(body.balance).toBe(18);
    expect(body.grants).toEqual([{ id: null, kind: 'paid', priority: 0, remaining: 18, expires_at: null }]);
    expect(body.entries.map((e: any) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['charge', -2, 18],
      ['grant', 20, 20],
    ]);
  });
});
