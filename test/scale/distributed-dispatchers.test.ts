import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/adapters/rate-limit/redis/index.js';
import { jobIdOf } from '../../src/adapters/dispatch/bullmq/index.js';
import { RateLimitedError } from '../../src/core/errors/index.js';
import type { Engine } from '../../src/core/engine.js';
import { deleteKeys, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { clusterEngine as clusterEngineOf, clusterNames, DISPATCHERS, redisOptions } from './redis-setup.js';
import { PROGRESS } from '../../src/core/policy/progress.js';

const redisUp = await redisAvailable();
const root = uniquePrefix('dispatch');
let n = 0;
const names = () => clusterNames(`${root}${++n}:`);
const engines: Array<Engine & { redis: Redis }> = [];
const track = <E extends Engine & { redis: Redis }>(e: E): E => (engines.push(e), e);

afterEach(async () => {
  for (const e of engines.splice(0)) {
    await e.stop({ graceMs: 0 });
    e.redis.disconnect();
  }
});
afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(redisOptions());
  await deleteKeys(redis, root);
  redis.disconnect();
});

describe.runIf(redisUp).each(DISPATCHERS)('%s dispatcher', (kind) => {
  const clusterEngine: typeof clusterEngineOf = (cluster, options) =>
    clusterEngineOf(cluster, { ...options, dispatcher: { kind, ...options.dispatcher } });

  it('an api engine submits, a worker engine elsewhere runs the tasks, and the api sees every event once', async () => {
    const cluster = names();
    const api = track(clusterEngine(cluster, { role: 'api' }));
    const worker = track(clusterEngine(cluster, { role: 'worker' }));
    await api.start();
    await worker.start();
    const progress: string[] = [];
    api.events.on('task:progress', (e) => progress.push(`${e.index}:${e.progress}`));
    await api.credits.grant('amy', 3, { idempotencyKey: 'g' });
    const { batch } = await api.batches.submit('amy', { prompts: ['a', 'b', 'c'] });
    const done = await api.batches.waitFor('amy', batch.batchId, { recheckMs: 60_000 });
    expect(done).toMatchObject({ status: 'completed', completedTasks: 3 });
    for (const i of [0, 1, 2]) expect(progress.filter((p) => p === `${i}:100`)).toHaveLength(1);
    expect(progress.filter((p) => p.startsWith('0:'))[0]).toBe('0:10');
    // Ended jobs leave the queue.
    await api.queue.onIdle(20);
    expect(await api.queue.counts()).toEqual({ waiting: 0, running: 0 });
  });

  it("in 'both' mode a process sees its own events once, and another 'both' process's once too", async () => {
    const cluster = names();
    const a = track(clusterEngine(cluster, { role: 'both' }));
    const b = track(clusterEngine(cluster, { role: 'both' }));
    await a.start();
    await b.start();
    const finals = (engine: Engine) => {
      const seen = new Map<string, number>();
      engine.events.on('task:progress', (e) => e.progress === 100 && seen.set(e.taskId, (seen.get(e.taskId) ?? 0) + 1));
      return seen;
    };
    const seenA = finals(a);
    const seenB = finals(b);
    await a.credits.grant('bea', 20, { idempotencyKey: 'g' });
    const { batch } = await a.batches.submit('bea', { prompt: 'x', count: 10 });
    await a.batches.waitFor('bea', batch.batchId, { recheckMs: 50 });
    await new Promise((r) => setTimeout(r, 100));
    expect([...seenA.values()]).toEqual(Array(10).fill(1));
    expect([...seenB.values()]).toEqual(Array(10).fill(1));
  });

  it('a repeated enqueue is one job; a retry of a failed task is a new job that runs again', async () => {
    const cluster = names();
    const api = track(
      clusterEngine(cluster, {
        role: 'api',
        provider: { failWhen: (i) => (i.prompt === 'flaky' && !retrying ? { reason: 'provider_error', message: 'boom' } : null) },
      }),
    );
    let retrying = false;
    const worker = track(
      clusterEngine(cluster, {
        role: 'worker',
        provider: { failWhen: (i) => (i.prompt === 'flaky' && !retrying ? { reason: 'provider_error', message: 'boom' } : null) },
      }),
    );
    await api.start();
    await api.credits.grant('bo', 2, { idempotencyKey: 'g' });
    const { batch } = await api.batches.submit('bo', { prompts: ['flaky'] });
    const job = { batchId: batch.batchId, index: 0, username: 'bo', attempt: 0 };
    await api.dispatcher.enqueue([job, job]);
    await api.dispatcher.enqueue([job]);
    expect(await api.queue.counts()).toEqual({ waiting: 1, running: 0 });
    expect(jobIdOf(job)).not.toContain(':');
    await worker.start();
    expect(await api.batches.waitFor('bo', batch.batchId, { recheckMs: 50 })).toMatchObject({ failedTasks: 1 });
    retrying = true;
    await api.batches.retry('bo', batch.batchId, 0);
    const again = await api.batches.waitFor('bo', batch.batchId, { recheckMs: 50 });
    expect(again).toMatchObject({ completedTasks: 1, failedTasks: 0 });
    expect(again.tasks[0]!.attempts).toBe(2);
  });

  it('orders one queue round-robin by user across workers: a late user’s 10 tasks interleave with an earlier user’s 60', async () => {
    const cluster = names();
    const api = track(clusterEngine(cluster, { role: 'api', engine: { maxTasksWaitingPerUser: 60 } }));
    await api.start();
    await api.credits.grant('big', 60, { idempotencyKey: 'g' });
    await api.credits.grant('small', 10, { idempotencyKey: 'g' });
    for (let i = 0; i < 6; i++) await api.batches.submit('big', { prompt: `big ${i}`, count: 10 });
    await api.batches.submit('small', { prompt: 'small', count: 10 });
    const order: string[] = [];
    // Two worker engines (as two processes would) share the queue; the order holds across both.
    for (let w = 0; w < 2; w++) {
      const worker = track(clusterEngine(cluster, { role: 'worker', dispatcher: { concurrency: 1 } }));
      worker.events.on('task:completed', (e) => order.push(e.username));
      await worker.start();
    }
    await api.queue.onIdle(50);
    expect(order).toHaveLength(70);
    // By the time small's 10th task ran, big had had about as many turns (FIFO would give 60).
    expect(order.lastIndexOf('small')).toBeLessThan(24);
  });

  it('a redelivered job of a task held under a live lease waits for the lease, then takes the task over', async () => {
    const cluster = names();
    const api = track(clusterEngine(cluster, { role: 'api' }));
    await api.start();
    await api.credits.grant('cy', 1, { idempotencyKey: 'g' });
    const { batch } = await api.batches.submit('cy', { prompts: ['held'] });
    // A worker that has since died claimed the task a moment ago: its lease runs 600 ms more.
    const claimedAt = Date.now();
    const held = await api.storage.claimTask(batch.batchId, 0, {
      expect: { status: 'pending' },
      now: claimedAt,
      leaseExpiresAt: claimedAt + 600,
      progress: PROGRESS.received,
    });
    const worker = track(clusterEngine(cluster, { role: 'worker' }));
    await worker.start();
    const done = await api.batches.waitFor('cy', batch.batchId, { recheckMs: 50 });
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(600);
    expect(done.tasks[0]).toMatchObject({ status: 'completed', attempts: held!.attempts + 1 });
  });

  it('graceful stop hands a running task to another worker, which resumes the saved provider request', async () => {
    const cluster = names();
    const slow = { latencyMs: 1_500, pollsBeforeReady: 1 };
    const api = track(clusterEngine(cluster, { role: 'api' }));
    const first = track(clusterEngine(cluster, { role: 'worker', provider: slow }));
    await api.start();
    await first.start();
    await api.credits.grant('di', 1, { idempotencyKey: 'g' });
    const { batch } = await api.batches.submit('di', { prompts: ['long one'] });
    await new Promise((r) => setTimeout(r, 300));
    const running = (await api.storage.getTask(batch.batchId, 0))!;
    expect(running).toMatchObject({ status: 'processing', attempts: 1 });
    await first.stop({ graceMs: 50 });
    const left = (await api.storage.getTask(batch.batchId, 0))!;
    expect(left.status).toBe('processing');
    expect(left.leaseExpiresAt).toBeLessThanOrEqual(Date.now());
    const second = track(clusterEngine(cluster, { role: 'worker', provider: slow }));
    await second.start();
    const done = await api.batches.waitFor('di', batch.batchId, { recheckMs: 50 });
    expect(done.tasks[0]).toMatchObject({ status: 'completed', attempts: 2, providerRequestId: left.providerRequestId });
    expect(done.tasks[0]!.result!.requestId).toBe(left.providerRequestId);
    expect(first.provider.calls.submit).toBe(1);
    expect(second.provider.calls.submit).toBe(0);
  });

  it('a per-user token bucket in Redis answers 429 before anything is charged', async () => {
    const cluster = names();
    const limiterRedis = new Redis(redisOptions());
    const rateLimiter = createRedisRateLimiter({
      connection: limiterRedis,
      capacity: 2,
      refillPerSecond: 0.001,
      prefix: `${cluster.prefix}rl:`,
    });
    const a = track(clusterEngine(cluster, { role: 'api', engine: { rateLimiter } }));
    const b = track(clusterEngine(cluster, { role: 'api', engine: { rateLimiter } }));
    await a.credits.grant('eli', 10, { idempotencyKey: 'g' });
    await a.batches.submit('eli', { prompts: ['1'] });
    await b.batches.submit('eli', { prompts: ['2'] });
    const error = await a.batches.submit('eli', { prompts: ['3', '4'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThan(100);
    expect(await a.credits.balance('eli')).toBe(8);
    // Another user has a bucket of their own.
    await a.credits.grant('fin', 1, { idempotencyKey: 'g' });
    await expect(b.batches.submit('fin', { prompts: ['x'] })).resolves.toMatchObject({ creditsDeducted: 1 });
    limiterRedis.disconnect();
  });
});
