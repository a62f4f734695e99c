import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import { InsufficientCreditsError, NotFoundError, ValidationError } from '../../src/core/errors/index.js';
import { batchRecordSchema } from '../../src/core/schemas/records.js';
import { testEngine } from './harness.js';
import { PROGRESS } from '../../src/core/policy/progress.js';

const engines: Engine[] = [];
const track = <E extends Engine>(engine: E): E => {
  engines.push(engine);
  return engine;
};
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop({ graceMs: 0 })));
});

async function funded(engine: Engine, user: string, credits: number): Promise<void> {
  await engine.credits.grant(user, credits, { idempotencyKey: `grant-${user}-${credits}` });
}

describe('BatchEngine submit', () => {
  it('creates a batch from prompts[], charges 1 per task at submit, and returns the contract record', async () => {
    const engine = track(testEngine());
    await funded(engine, 'alice', 5);
    const result = await engine.batches.submit('alice', { prompts: ['a cat', 'a dog', 'a bird'], aspect_ratio: '16:9', seed: 7 });
    expect(result).toMatchObject({ creditsDeducted: 3, creditsRemaining: 2, replayed: false });
    const batch = result.batch;
    expect(batchRecordSchema.parse(batch)).toEqual(batch);
    expect(batch.batchId).toMatch(/^batch:alice:\d+$/);
    expect(batch.tasks.map((t) => t.taskId)).toEqual([0, 1, 2].map((i) => `${batch.batchId}:${i}`));
    expect(batch.tasks[0]).toMatchObject({ prompt: 'a cat', status: 'pending', progress: 0, result: null, error: null });
    expect(batch.tasks[0]!.params).toEqual({ aspect_ratio: '16:9', seed: 7, output_format: 'png' });
    expect(batch).toMatchObject({ totalTasks: 3, completedTasks: 0, failedTasks: 0, status: 'pending' });
  });

  it('creates count tasks from prompt + count', async () => {
    const engine = track(testEngine());
    await funded(engine, 'bob', 10);
    const { batch } = await engine.batches.submit('bob', { prompt: 'a landscape', count: 5, output_format: 'webp' });
    expect(batch.tasks.map((t) => t.prompt)).toEqual(Array(5).fill('a landscape'));
    expect(await engine.credits.balance('bob')).toBe(5);
  });

  it.each([
    [{ prompts: [] }, 'prompts'],
    [{ prompts: Array(11).fill('x') }, 'prompts'],
    [{ prompts: ['ok', '   '] }, 'prompts.1'],
    [{ prompt: 'x' }, 'count'],
    [{ prompt: 'x', count: 0 }, 'count'],
    [{ prompt: 'x', count: 11 }, 'count'],
    [{ prompt: 'x', count: 2.5 }, 'count'],
    [{ prompts: ['x'], prompt: 'y', count: 1 }, 'prompts'],
    [{}, 'prompts'],
    [{ prompts: ['x'], aspect_ratio: '5:4' }, 'aspect_ratio'],
    [{ prompts: ['x'], output_format: 'gif' }, 'output_format'],
    [{ prompts: ['x'], seed: -1 }, 'seed'],
    [{ prompts: ['x'.repeat(2001)] }, 'prompts.0'],
  ])('rejects %j naming the field %s, charging nothing and storing nothing', async (body, field) => {
    const engine = track(testEngine());
    await funded(engine, 'carol', 20);
    const error = await engine.batches.submit('carol', body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(await engine.credits.balance('carol')).toBe(20);
    expect((await engine.batches.list('carol')).items).toEqual([]);
  });

  it('refuses a batch it cannot pay for in full: 402 with required and available, no batch, no charge', async () => {
    const engine = track(testEngine());
    await funded(engine, 'dan', 2);
    const error = await engine.batches.submit('dan', { prompt: 'x', count: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ status: 402, required: 3, available: 2 });
    expect(await engine.credits.balance('dan')).toBe(2);
    expect((await engine.batches.list('dan')).items).toEqual([]);
  });

  it('gives unique ids to batches created in the same millisecond', async () => {
    const engine = track(testEngine({}, { now: () => 1_707_654_321_000 }));
    await funded(engine, 'eve', 10);
    const results = await Promise.all(Array.from({ length: 5 }, () => engine.batches.submit('eve', { prompts: ['x'] })));
    expect(new Set(results.map((r) => r.batch.batchId)).size).toBe(5);
    expect(results[0]!.batch.batchId).toBe('batch:eve:1707654321000');
  });

  it('rejects usernames that would make an id ambiguous', async () => {
    const engine = track(testEngine());
    await expect(engine.batches.submit('a:b', { prompts: ['x'] })).rejects.toMatchObject({ code: 'validation', field: 'username' });
    await expect(engine.credits.grant('a:b', 1, { idempotencyKey: 'k' })).rejects.toMatchObject({ field: 'username' });
  });

  it('runs the host’s prompt filter before charging', async () => {
    const engine = track(testEngine({}, { moderatePrompt: (p) => (p.includes('forbidden') ? 'not allowed here' : null) }));
    await funded(engine, 'fay', 5);
    const error = await engine.batches.submit('fay', { prompts: ['fine', 'forbidden thing'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', field: 'prompts.1' });
    expect((error as Error).message).toContain('not allowed here');
    expect(await engine.credits.balance('fay')).toBe(5);
  });

  it('replays a submit with the same idempotency key instead of charging twice', async () => {
    const engine = track(testEngine());
    await funded(engine, 'gus', 5);
    const first = await engine.batches.submit('gus', { prompts: ['x', 'y'] }, { idempotencyKey: 'k1', fingerprint: 'f' });
    const again = await engine.batches.submit('gus', { prompts: ['x', 'y'] }, { idempotencyKey: 'k1', fingerprint: 'f' });
    expect(again.replayed).toBe(true);
    expect(again.batch.batchId).toBe(first.batch.batchId);
    expect(await engine.credits.balance('gus')).toBe(3);
    await expect(engine.batches.submit('gus', { prompts: ['z'] }, { idempotencyKey: 'k1', fingerprint: 'other' })).rejects.toMatchObject({
      code: 'conflict',
    });
  });
});

describe('BatchEngine processing', () => {
  it('reports progress 10, 30, rising polls, 100 and completes every task with a stored image', async () => {
    const engine = track(testEngine({ pollsBeforeReady: 3 }));
    await engine.start();
    await funded(engine, 'hal', 3);
    const { batch } = await engine.batches.submit('hal', { prompts: ['one', 'two'] });
    const done = await engine.batches.waitFor('hal', batch.batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 2, failedTasks: 0 });
    for (const task of done.tasks) {
      expect(task).toMatchObject({ status: 'completed', progress: 100, error: null, attempts: 1 });
      const key = engine.imageStore.keyFromUrl(task.result!.imageUrl)!;
      expect((await engine.imageStore.get(key))!.contentType).toBe('image/png');
      expect(task.result!.requestId).toBe(task.providerRequestId);
      const seen = engine.progress.filter((e) => e.taskId === task.taskId).map((e) => e.progress);
      expect(seen[0]).toBe(10);
      expect(seen[1]).toBe(30);
      expect(seen.at(-1)).toBe(100);
      const polling = seen.slice(2, -1);
      expect(polling.length).toBe(3);
      expect(polling.every((p, i) => p > 30 && p <= 90 && (i === 0 || p > polling[i - 1]!))).toBe(true);
    }
  });

  it('fails a timed-out task (keeping its progress) while the others complete; failed tasks are not refunded', async () => {
    // Only the prompt "slow" never finishes within the 4 polls allowed.
    const slowEngine = track(
      createEngineWithProvider({
        submit: (prompt) => (prompt === 'slow' ? 1000 : 0),
      }),
    );
    await slowEngine.start();
    await funded(slowEngine, 'ivy', 3);
    const { batch } = await slowEngine.batches.submit('ivy', { prompts: ['fast', 'slow', 'fast too'] });
    const done = await slowEngine.batches.waitFor('ivy', batch.batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 2, failedTasks: 1 });
    const slow = done.tasks[1]!;
    expect(slow.status).toBe('failed');
    expect(slow.error).toMatch(/did not finish/);
    expect(slow.progress).toBeGreaterThan(30);
    expect(slow.progress).toBeLessThan(100);
    expect(await slowEngine.credits.balance('ivy')).toBe(0);
  });

  it('retry charges again and re-runs a failed task; a task that is not failed cannot be retried', async () => {
    let failNext = true;
    const engine = track(testEngine({ failWhen: () => (failNext ? { reason: 'provider_error', message: 'upstream broke' } : null) }));
    await engine.start();
    await funded(engine, 'jo', 3);
    const { batch } = await engine.batches.submit('jo', { prompts: ['p'] });
    const failed = await engine.batches.waitFor('jo', batch.batchId);
    expect(failed.tasks[0]).toMatchObject({ status: 'failed', error: 'upstream broke' });
    expect(await engine.credits.balance('jo')).toBe(2);
    failNext = false;
    const retried = await engine.batches.retry('jo', batch.batchId, 0);
    expect(retried).toMatchObject({ creditsDeducted: 1, creditsRemaining: 1 });
    const done = await waitUntil(async () => {
      const b = await engine.batches.status('jo', batch.batchId);
      return b.status === 'completed' ? b : null;
    });
    expect(done.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, error: null });
    expect(done).toMatchObject({ completedTasks: 1, failedTasks: 0 });
    await expect(engine.batches.retry('jo', batch.batchId, 0)).rejects.toMatchObject({ code: 'conflict' });
    expect(await engine.credits.balance('jo')).toBe(1);
  });

  it('process(batchId, index) runs one task now, without a dispatcher running', async () => {
    const engine = track(testEngine());
    await funded(engine, 'kim', 2);
    const { batch } = await engine.batches.submit('kim', { prompts: ['a', 'b'] });
    const task = await engine.batches.process('kim', batch.batchId, 1);
    expect(task).toMatchObject({ taskId: `${batch.batchId}:1`, status: 'completed', progress: 100 });
    expect((await engine.batches.status('kim', batch.batchId)).tasks[0]!.status).toBe('pending');
    const again = await engine.batches.process('kim', batch.batchId, 1);
    expect(again.attempts).toBe(1);
  });

  it('hides other users’ batches and unknown tasks as not found', async () => {
    const engine = track(testEngine());
    await funded(engine, 'lee', 1);
    const { batch } = await engine.batches.submit('lee', { prompts: ['a'] });
    for (const call of [
      () => engine.batches.status('mallory', batch.batchId),
      () => engine.batches.process('mallory', batch.batchId, 0),
      () => engine.batches.retry('mallory', batch.batchId, 0),
      () => engine.batches.process('lee', batch.batchId, 5),
      () => engine.batches.status('lee', 'batch:lee:1'),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('lists batches newest first, paged', async () => {
    const engine = track(testEngine());
    await funded(engine, 'max', 5);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await engine.batches.submit('max', { prompts: [`p${i}`] })).batch.batchId);
    const page1 = await engine.batches.list('max', { limit: 2 });
    expect(page1.items.map((b) => b.batchId)).toEqual([ids[4], ids[3]]);
    const page2 = await engine.batches.list('max', { limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((b) => b.batchId)).toEqual([ids[2], ids[1]]);
  });

  it('is fair across users: a late user’s 10 tasks do not wait behind another’s 100', async () => {
    const engine = track(testEngine({ latencyMs: 0, pollsBeforeReady: 1 }, { concurrency: 2, maxTasksWaitingPerUser: 100 }));
    await funded(engine, 'big', 100);
    await funded(engine, 'small', 10);
    for (let i = 0; i < 10; i++) await engine.batches.submit('big', { prompt: `big ${i}`, count: 10 });
    const { batch } = await engine.batches.submit('small', { prompt: 'small', count: 10 });
    const order: string[] = [];
    engine.events.on('task:completed', (e) => order.push(e.username));
    await engine.start();
    await engine.batches.waitFor('small', batch.batchId);
    // Round-robin: by the time small's 10th task ends, big has had about as many turns.
    expect(order.filter((u) => u === 'big').length).toBeLessThanOrEqual(12);
    await engine.onIdle();
    expect(order).toHaveLength(110);
  });

  it('on start, finishes tasks a previous process left pending or processing, without a second charge', async () => {
    const storage = createMemoryStorage();
    const imageStore = createMemoryImageStore();
    const provider = createOfflineProvider({ size: 32, pollsBeforeReady: 2 });
    const options = { storage, imageStore, provider, pollPolicy: { pollIntervalMs: 5 }, logger: { warn() {}, error() {} } };
    const first = createEngine(options);
    await first.credits.grant('ned', 3, { idempotencyKey: 'g' });
    const { batch } = await first.batches.submit('ned', { prompts: ['a', 'b', 'c'] });
    // A worker of the dead process had claimed task 0 and saved its provider request.
    const claimed = await storage.claimTask(batch.batchId, 0, {
      expect: { status: 'pending' },
      now: Date.now(),
      leaseExpiresAt: Date.now() + 60_000,
      progress: PROGRESS.received,
    });
    const submitted = await provider.submit(
      { prompt: 'a', aspectRatio: '1:1', seed: null, outputFormat: 'png' },
      { signal: new AbortController().signal },
    );
    await storage.updateTaskProgress(batch.batchId, 0, claimed!.attempts, {
      progress: 30,
      providerRequestId: submitted.requestId,
      now: Date.now(),
    });
    const submitsBefore = provider.calls.submit;

    const second = track(createEngine(options));
    const { recovered } = await second.start();
    expect(recovered).toBe(3);
    const done = await second.batches.waitFor('ned', batch.batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 3 });
    expect(done.tasks[0]).toMatchObject({ attempts: 2, providerRequestId: submitted.requestId });
    expect(done.tasks[0]!.result!.requestId).toBe(submitted.requestId);
    expect(provider.calls.submit - submitsBefore).toBe(2);
    expect(await second.credits.balance('ned')).toBe(0);
    expect((await second.credits.history('ned')).items).toHaveLength(2);
  });

  it('a duplicate worker cannot run a task twice: two engines on one storage complete each task once', async () => {
    const storage = createMemoryStorage();
    const make = () =>
      track(
        createEngine({
          storage,
          imageStore: createMemoryImageStore(),
          provider: createOfflineProvider({ size: 32 }),
          pollPolicy: { pollIntervalMs: 1 },
          logger: { warn() {}, error() {} },
        }),
      );
    const [a, b] = [make(), make()];
    await a.credits.grant('oli', 10, { idempotencyKey: 'g' });
    const { batch } = await a.batches.submit('oli', { prompt: 'x', count: 10 });
    let completions = 0;
    for (const e of [a, b]) e.events.on('task:completed', () => completions++);
    await b.batches.recover({ takeOverProcessing: false });
    await Promise.all([a.start({ takeOverProcessing: false }), b.start({ takeOverProcessing: false })]);
    await Promise.all([a.onIdle(), b.onIdle()]);
    const done = await a.batches.status('oli', batch.batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 10, failedTasks: 0 });
    expect(completions).toBe(10);
    expect(done.tasks.every((t) => t.attempts === 1)).toBe(true);
  });
});

function createEngineWithProvider(rule: { submit: (prompt: string) => number }) {
  const base = createOfflineProvider({ size: 32, pollsBeforeReady: 0 });
  const pollsLeft = new Map<string, number>();
  return testEngine(
    {},
    {
      pollPolicy: { maxPolls: 4, pollIntervalMs: 5 },
      provider: {
        ...base,
        async submit(input, ctx) {
          const submitted = await base.submit({ ...input }, ctx);
          pollsLeft.set(submitted.requestId, rule.submit(input.prompt));
          return {
            requestId: submitted.requestId,
            ...(rule.submit(input.prompt) === 0 && submitted.status ? { status: submitted.status } : {}),
          };
        },
        async poll(requestId, ctx) {
          const left = pollsLeft.get(requestId) ?? 0;
          if (left > 0) {
            pollsLeft.set(requestId, left - 1);
            return { state: 'running' };
          }
          return base.poll(requestId, ctx);
        },
      },
    },
  );
}

async function waitUntil<T>(check: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BatchEngine and the provider’s capabilities', () => {
  it('refuses an output format the provider cannot make, before charging', async () => {
    const base = createOfflineProvider({ size: 32 });
    const engine = track(testEngine({}, { provider: { ...base, capabilities: { ...base.capabilities, outputFormats: ['png', 'jpeg'] } } }));
    await engine.credits.grant('pat', 3, { idempotencyKey: 'g' });
    const error = await engine.batches.submit('pat', { prompts: ['x'], output_format: 'webp' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', field: 'output_format' });
    expect((error as Error).message).toContain('png, jpeg');
    expect(await engine.credits.balance('pat')).toBe(3);
  });
});
