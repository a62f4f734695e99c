import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

let app: TestApp | undefined;
afterEach(() => app?.close());

const submit = (a: TestApp, count: number, user = 'alice') =>
  a.send('POST', '/api/batch/generate', { user, body: { prompt: 'a fox', count } });

describe('tasks waiting per user (maxTasksWaitingPerUser)', () => {
  it('by default (50) the sixth batch of 10 waiting is a 429 with Retry-After, charging and storing nothing', async () => {
    // Not started: no worker takes the tasks, so every one stays pending.
    app = await createTestApp({ start: false });
    await app.grant('alice', 100);
    for (let i = 0; i < 5; i++) expect((await submit(app, 10)).status).toBe(200);
    const before = await app.send('GET', '/api/credits');
    expect(before.body.balance).toBe(50);

    const refused = await submit(app, 1);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', retry_after: 10 });
    expect(refused.body.error).toMatch(/50 queued or running/);
    expect(Number(refused.headers.get('retry-after'))).toBe(10);
    const after = await app.send('GET', '/api/credits');
    expect(after.body.balance).toBe(50);
    expect(after.body.entries).toEqual(before.body.entries);
    expect((await app.engine.batches.list('alice', { limit: 100 })).items).toHaveLength(5);

    // Another user has a ceiling of their own.
    await app.grant('bob', 5);
    expect((await submit(app, 5, 'bob')).status).toBe(200);
  });

  it('counts the tasks in storage: a cancelled batch makes room; the option is validated', async () => {
    app = await createTestApp({ start: false, engine: { maxTasksWaitingPerUser: 12 } });
    await app.grant('alice', 30);
    const first = await submit(app, 10);
    expect((await submit(app, 3)).status).toBe(429);
    expect(await app.engine.credits.balance('alice')).toBe(20);
    expect((await submit(app, 2)).status).toBe(200);
    await app.send('POST', '/api/batch/cancel', { body: { batch_id: first.body.batch_id } });
    expect((await submit(app, 3)).status).toBe(200);
    expect(await app.engine.credits.balance('alice')).toBe(25);
    await expect(createTestApp({ start: false, engine: { maxTasksWaitingPerUser: 0 } })).rejects.toThrow(/maxTasksWaitingPerUser/);
  });
});
