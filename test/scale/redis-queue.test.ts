import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisDispatcher, type RedisDispatcher, type RedisDispatcherOptions } from '../../src/adapters/dispatch/redis/index.js';
import type { TaskJob } from '../../src/core/ports/dispatcher.js';
import { deleteKeys, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { redisOptions } from './redis-setup.js';

const redisUp = await redisAvailable();
const root = uniquePrefix('rq');
let n = 0;
const open: Array<{ dispatcher: RedisDispatcher; client?: Redis }> = [];
const quiet = { warn() {}, error() {} };

function dispatcher(queueName: string, options: Partial<RedisDispatcherOptions> = {}, client?: Redis): RedisDispatcher {
  const d = createRedisDispatcher({
    connection: client ?? redisOptions(),
    prefix: root,
    queueName,
    logger: quiet,
    pollIntervalMs: 50,
    ...options,
  });
  open.push({ dispatcher: d, ...(client ? { client } : {}) });
  return d;
}
const jobs = (count: number, username = 'u'): TaskJob[] =>
  Array.from({ length: count }, (_, index) => ({ batchId: `b${n}-${username}`, index, username, attempt: 0 }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

afterEach(async () => {
  for (const { dispatcher: d, client } of open.splice(0)) {
    await d.stop({ graceMs: 0 });
    await d.close();
    client?.disconnect();
  }
});
afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(redisOptions());
  await deleteKeys(redis, root);
  redis.disconnect();
});

describe.runIf(redisUp)('Redis queue dispatcher', () => {
  it("hands a dead worker's jobs to another once its hold runs out, and the dead one's late ends change nothing", async () => {
    const name = `q${++n}`;
    const deadClient = new Redis(redisOptions());
    const dead = dispatcher(name, { lockDurationMs: 300 }, deadClient);
    let releaseDead!: () => void;
    const deadGate = new Promise<void>((r) => (releaseDead = r));
    const deadRan: TaskJob[] = [];
    dead.start(async (job) => {
      deadRan.push(job);
      await deadGate;
      return { state: 'done' };
    });
    await dead.enqueue(jobs(3));
    await until(() => deadRan.length === 3);
    // Its connection goes (a partition, a frozen process): its holds are no longer renewed.
    deadClient.disconnect();
    const lostAt = Date.now();

    const live = dispatcher(name, { lockDurationMs: 5_000 });
    let releaseLive!: () => void;
    const liveGate = new Promise<void>((r) => (releaseLive = r));
    const liveRan: Array<{ job: TaskJob; at: number }> = [];
    live.start(async (job) => {
      liveRan.push({ job, at: Date.now() });
      await liveGate;
      return { state: 'done' };
    });
    await until(() => liveRan.length === 3);
    expect(liveRan.map((r) => r.job.index).sort()).toEqual([0, 1, 2]);
    expect(Math.min(...liveRan.map((r) => r.at)) - lostAt).toBeGreaterThanOrEqual(250);

    // The dead worker comes back and ends its runs: its deliveries are no longer the ones that hold the jobs.
    await deadClient.connect();
    releaseDead();
    await sleep(1_500);
    expect(await live.counts()).toEqual({ waiting: 0, running: 3 });
    releaseLive();
    await live.onIdle(20);
    expect(await live.counts()).toEqual({ waiting: 0, running: 0 });
  });

  it('runs a job whose runner threw again with backoff, and drops it after `attempts` runs', async () => {
    const name = `q${++n}`;
    const d = dispatcher(name, { attempts: 2 });
    const at: number[] = [];
    d.start(async () => {
      at.push(Date.now());
      throw new Error('storage unreachable');
    });
    await d.enqueue(jobs(1));
    await d.onIdle(20);
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(450);
    await sleep(700);
    expect(at).toHaveLength(2);
  });

  it('looks at a job held under a live lease again when the lease runs out, and a stopping worker hands its job back at once', async () => {
    const name = `q${++n}`;
    const d = dispatcher(name);
    const calls: number[] = [];
    let retryAt = 0;
    d.start(async () => {
      calls.push(Date.now());
      if (calls.length === 1) {
        retryAt = Date.now() + 300;
        return { state: 'busy', retryAt };
      }
      return { state: 'done' };
    });
    await d.enqueue(jobs(1));
    await until(() => calls.length === 2);
    expect(calls[1]!).toBeGreaterThanOrEqual(retryAt);
    await d.onIdle(20);

    const other = `q${++n}`;
    const stopping = dispatcher(other);
    stopping.start(async () => ({ state: 'interrupted' }));
    await stopping.enqueue(jobs(1));
    await sleep(200);
    await stopping.stop({ graceMs: 0 });
    await stopping.close();
    const next = dispatcher(other);
    const ran: TaskJob[] = [];
    next.start(async (job) => (ran.push(job), { state: 'done' }));
    await until(() => ran.length === 1, 2_000);
  });

  it('does not queue a job twice, and runs every job of a late user before most of an earlier one’s (fairness)', async () => {
    const name = `q${++n}`;
    const d = dispatcher(name, { concurrency: 1 });
    await d.enqueue([...jobs(20, 'early'), ...jobs(20, 'early')]);
    await d.enqueue(jobs(5, 'late'));
    expect(await d.counts()).toEqual({ waiting: 25, running: 0 });
    const order: string[] = [];
    d.start(async (job) => (order.push(job.username), { state: 'done' }));
    await d.onIdle(20);
    expect(order).toHaveLength(25);
    expect(order.lastIndexOf('late')).toBeLessThan(11);
  });

  it('enqueues more jobs than one script takes (a recovery) in slices, none lost and none twice', async () => {
    const d = dispatcher(`q${++n}`);
    const many = jobs(1_234);
    await d.enqueue([...many, ...many.slice(0, 600)]);
    expect(await d.counts()).toEqual({ waiting: 1_234, running: 0 });
  });

  it('keeps every key under one hash tag (Redis Cluster) and refuses names that would break it', () => {
    const d = dispatcher('tagged');
    expect(new Set(d.keys().map((k) => /\{([^}]+)\}/.exec(k)?.[1]))).toEqual(new Set(['tagged']));
    expect(() => createRedisDispatcher({ connection: redisOptions(), queueName: 'a{b}' })).toThrow(/must not contain/);
    expect(() => createRedisDispatcher({ connection: redisOptions(), concurrency: 0 })).toThrow(/concurrency/);
  });
});
