import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp;
afterEach(async () => {
  await app.close();
});

describe('POST /api/batch/cancel', () => {
  it('cancels a batch of 10 right after submitting it: the tasks not started are cancelled and refunded once', async () => {
    // Two tasks run at a time, and none finishes on its own: a cancel finds most of them waiting.
    app = await createTestApp({ provider: { pollsBeforeReady: 100_000 }, engine: { concurrency: 2 } });
    await app.grant('alice', 10);
    const submitted = await app.send('POST', '/api/batch/generate', { body: { prompt: 'a typo', count: 10 } });
    expect(submitted.status).toBe(200);
    const batchId: string = submitted.body.batch_id;

    const first = await app.send('POST', '/api/batch/cancel', { body: { batch_id: batchId } });
    expect(first.status).toBe(200);
    expect(first.body.cancelled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.body.batch).toMatchObject({ status: 'completed', cancelledTasks: 10, completedTasks: 0 });
    const tasks: Array<{ taskId: string; status: string; attempts: number }> = first.body.batch.tasks;
    expect(tasks.every((t) => t.status === 'cancelled')).toBe(true);
    // A task never claimed (attempts 0) had not started: it is refunded; a running one is not.
    const waiting = tasks.filter((t) => t.attempts === 0);
    expect(waiting.length).toBeGreaterThanOrEqual(8);
    expect(first.body.credits_refunded).toBe(waiting.length);

    const credits = await app.send('GET', '/api/credits');
    expect(credits.body.balance).toBe(waiting.length);
    const refunds = (await app.engine.credits.history('alice', { limit: 100 })).items.filter((e) => e.kind === 'refund');
    expect(refunds.map((e) => e.reference).sort()).toEqual(waiting.map((t) => t.taskId).sort());

    const again = await app.send('POST', '/api/batch/cancel', { body: { batch_id: batchId } });
    expect(again.status).toBe(200);
    expect({ ...again.body, batch: null }).toEqual({ ...first.body, batch: null });
    expect(again.body.batch.tasks.map((t: { status: string }) => t.status)).toEqual(tasks.map((t) => t.status));
    expect(await app.engine.credits.balance('alice')).toBe(waiting.length);
    expect((await app.engine.credits.history('alice', { limit: 100 })).items.filter((e) => e.kind === 'refund')).toHaveLength(
      waiting.length,
    );

    const other = await app.send('POST', '/api/batch/cancel', { user: 'bob', body: { batch_id: batchId } });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('not_found');
  });

  it('cancels one waiting task; an already completed batch is 409 with the reason; bad input is 400', async () => {
    app = await createTestApp({ provider: { pollsBeforeReady: 100_000 }, engine: { concurrency: 1 } });
    await app.grant('alice', 3);
    const { body } = await app.send('POST', '/api/batch/generate', { body: { prompt: 'a fox', count: 3 } });
    const one = await app.send('POST', '/api/batch/cancel', { body: { batch_id: body.batch_id, task_index: 2 } });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ cancelled: [2], credits_refunded: 1, batch: { status: 'processing', cancelledTasks: 1 } });
    const bad = await app.send('POST', '/api/batch/cancel', { body: { batch_id: body.batch_id, task_index: 'x' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('task_index');
    await app.send('POST', '/api/batch/cancel', { body: { batch_id: body.batch_id } });

    const done = await createTestApp();
    try {
      await done.grant('alice', 1);
      const created = await done.send('POST', '/api/batch/generate', { body: { prompt: 'a fox', count: 1 } });
      await done.engine.batches.waitFor('alice', created.body.batch_id);
      const conflict = await done.send('POST', '/api/batch/cancel', { body: { batch_id: created.body.batch_id } });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({ code: 'conflict', reason: 'batch_completed' });
      expect(await done.engine.credits.balance('alice')).toBe(0);
    } finally {
      await done.close();
    }
  });
});
