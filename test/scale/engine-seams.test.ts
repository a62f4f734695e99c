import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import { RateLimitedError } from '../../src/core/errors/index.js';
import type { Dispatcher, TaskJob, TaskRunner } from '../../src/core/ports/dispatcher.js';
import type { EventRelay, RelayedEvent } from '../../src/core/ports/event-relay.js';
import type { RateLimiter } from '../../src/core/ports/rate-limiter.js';
import { testEngine } from '../engine/harness.js';
import { PROGRESS } from '../../src/core/policy/progress.js';

const engines: Engine[] = [];
const track = <E extends Engine>(engine: E): E => {
  engines.push(engine);
  return engine;
};
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop({ graceMs: 0 })));
});
const quiet = { warn() {}, error() {} };

/** A dispatcher that only records: stands in for a distributed queue. */
function recordingDispatcher(): Dispatcher & { jobs: TaskJob[]; runner: TaskRunner | null } {
  return {
    distributed: true,
    jobs: [],
    runner: null,
    start(runner) {
      this.runner = runner;
    },
    async enqueue(jobs) {
      this.jobs.push(...jobs);
    },
    async stop() {},
  };
}

describe('rate limit', () => {
  it('answers RateLimitedError (429) before anything is charged or stored', async () => {
    const asked: string[] = [];
    const limiter: RateLimiter = {
      async take(username) {
        asked.push(username);
        return asked.length <= 1 ? { allowed: true, remaining: 0 } : { allowed: false, retryAfterMs: 1500 };
      },
    };
    const engine = track(testEngine({}, { rateLimiter: limiter }));
    await engine.credits.grant('rita', 10, { idempotencyKey: 'g' });
    await engine.batches.submit('rita', { prompts: ['a'] });
    const error = await engine.batches.submit('rita', { prompts: ['b', 'c'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 2 });
    expect(await engine.credits.balance('rita')).toBe(9);
    expect((await engine.batches.list('rita')).items).toHaveLength(1);
  });

  it('does not spend a token on a request that fails validation', async () => {
    let taken = 0;
    const engine = track(testEngine({}, { rateLimiter: { take: async () => (taken++, { allowed: true, remaining: 1 }) } }));
    await expect(engine.batches.submit('val', { prompts: [] })).rejects.toMatchObject({ code: 'validation' });
    expect(taken).toBe(0);
  });
});

describe('roles', () => {
  it("refuses role 'api' with the in-process dispatcher, where no task would ever run", () => {
    expect(() =>
      createEngine({
        storage: createMemoryStorage(),
        provider: createOfflineProvider(),
        imageStore: createMemoryImageStore(),
        role: 'api',
        logger: quiet,
      }),
    ).toThrow(/distributed dispatcher/);
  });

  it("an 'api' engine enqueues on submit but never starts running tasks; startWorkers does", async () => {
    const dispatcher = recordingDispatcher();
    const engine = track(
      createEngine({
        storage: createMemoryStorage(),
        provider: createOfflineProvider({ size: 32 }),
        imageStore: createMemoryImageStore(),
        dispatcher,
        role: 'api',
        logger: quiet,
      }),
    );
    await engine.start();
    await engine.credits.grant('ann', 2, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('ann', { prompts: ['a', 'b'] });
    expect(dispatcher.runner).toBeNull();
    expect(dispatcher.jobs).toEqual([0, 1].map((index) => ({ batchId: batch.batchId, index, username: 'ann', attempt: 0 })));
    await engine.startWorkers();
    expect(dispatcher.runner).toBe(engine.batches.runJob);
  });
});

describe('leases', () => {
  it('a job for a task processing under a live lease answers busy until the lease ends, then takes it over', async () => {
    const storage = createMemoryStorage();
    let clock = 1_000_000;
    const dispatcher = recordingDispatcher();
    const engine = track(
      createEngine({
        storage,
        provider: createOfflineProvider({ size: 32, pollsBeforeReady: 0 }),
        imageStore: createMemoryImageStore(),
        dispatcher,
        leaseMs: 5_000,
        now: () => clock,
        logger: quiet,
      }),
    );
    await engine.credits.grant('lia', 1, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('lia', { prompts: ['x'] });
    const claimed = await storage.claimTask(batch.batchId, 0, {
      expect: { status: 'pending' },
      now: clock,
      leaseExpiresAt: clock + 5_000,
      progress: PROGRESS.received,
    });
    const job = { batchId: batch.batchId, index: 0, username: 'lia' };
    expect(await engine.batches.runJob(job)).toEqual({ state: 'busy', retryAt: clock + 5_000 });
    expect((await storage.getTask(batch.batchId, 0))!.attempts).toBe(claimed!.attempts);
    clock += 5_000;
    expect(await engine.batches.runJob(job)).toMatchObject({ state: 'done', ran: { outcome: 'completed' } });
    expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'completed', attempts: claimed!.attempts + 1 });
  });

  it('a running task renews its lease, so a slow run is never taken for dead', async () => {
    const storage = createMemoryStorage();
    const engine = track(
      testEngine(
        { latencyMs: 400, pollsBeforeReady: 1 },
        { storage, leaseMs: 90, progressWriteIntervalMs: 10_000, pollPolicy: { pollIntervalMs: 50, maxPolls: 40 } },
      ),
    );
    await engine.start();
    await engine.credits.grant('ron', 1, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('ron', { prompts: ['slow'] });
    await new Promise((r) => setTimeout(r, 250));
    const task = (await storage.getTask(batch.batchId, 0))!;
    expect(task.status).toBe('processing');
    expect(task.leaseExpiresAt! - Date.now()).toBeGreaterThan(0);
    // A duplicate delivery now finds it held and runs nothing.
    expect(await engine.batches.runJob({ batchId: batch.batchId, index: 0, username: 'ron' })).toMatchObject({ state: 'busy' });
    await engine.batches.waitFor('ron', batch.batchId, { recheckMs: 20 });
    expect((await storage.getTask(batch.batchId, 0))!.attempts).toBe(1);
  });

  it('a run whose claim was taken over stops at the next heartbeat, writes nothing and leaves the provider request to the new holder', async () => {
    const storage = createMemoryStorage();
    const provider = createOfflineProvider({ size: 32, latencyMs: 600, pollsBeforeReady: 1 });
    let cancels = 0;
    const cancel = provider.cancel!.bind(provider);
    provider.cancel = (id) => (cancels++, cancel(id));
    const engine = track(
      testEngine({}, { storage, provider, leaseMs: 60, progressWriteIntervalMs: 10_000, pollPolicy: { pollIntervalMs: 50, maxPolls: 40 } }),
    );
    await engine.start();
    await engine.credits.grant('tom', 1, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('tom', { prompts: ['contested'] });
    await new Promise((r) => setTimeout(r, 50));
    const running = (await storage.getTask(batch.batchId, 0))!;
    // Another worker takes the claim over (as after a stall) and fails it on its own terms.
    const other = await storage.claimTask(batch.batchId, 0, {
      expect: { status: 'processing', attempts: running.attempts },
      now: Date.now(),
      leaseExpiresAt: Date.now() + 60_000,
      progress: PROGRESS.received,
    });
    await storage.failTask(batch.batchId, 0, other!.attempts, 'taken over', Date.now());
    const since = Date.now();
    await engine.onIdle();
    // The provider needs 600 ms more; the run gave up within a few heartbeats instead.
    expect(Date.now() - since).toBeLessThan(300);
    const pollsAfter = provider.calls.poll;
    await new Promise((r) => setTimeout(r, 100));
    expect(provider.calls.poll).toBe(pollsAfter);
    // The provider request is left running: it belongs to the worker that took the task over.
    expect(cancels).toBe(0);
    expect(await storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'failed', error: 'taken over' });
  });

  it('stop interrupts a run after the grace period and releases its lease for the next worker', async () => {
    const storage = createMemoryStorage();
    const engine = testEngine({ latencyMs: 5_000, pollsBeforeReady: 1 }, { storage });
    await engine.start();
    await engine.credits.grant('sam', 1, { idempotencyKey: 'g' });
    const { batch } = await engine.batches.submit('sam', { prompts: ['long'] });
    await new Promise((r) => setTimeout(r, 60));
    await engine.stop({ graceMs: 20 });
    await new Promise((r) => setTimeout(r, 20));
    const task = (await storage.getTask(batch.batchId, 0))!;
    expect(task.status).toBe('processing');
    expect(task.leaseExpiresAt).toBeLessThanOrEqual(Date.now());
    expect(task.providerRequestId).not.toBeNull();
  });
});

describe('event relay', () => {
  /** Two in-memory relays joined like two processes on one pub/sub channel. */
  function pair(): [EventRelay & { sent: RelayedEvent[] }, EventRelay & { sent: RelayedEvent[] }] {
    const make = () => {
      const relay = {
        sent: [] as RelayedEvent[],
        peer: null as null | { deliver: ((e: RelayedEvent) => void) | null },
        deliver: null as ((e: RelayedEvent) => void) | null,
        async subscribe(deliver: (e: RelayedEvent) => void) {
          relay.deliver = deliver;
        },
        publish(e: RelayedEvent) {
          relay.sent.push(e);
          relay.peer?.deliver?.(JSON.parse(JSON.stringify(e)));
        },
        async close() {
          relay.deliver = null;
        },
      };
      return relay;
    };
    const a = make();
    const b = make();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  it('re-emits another process’s events once and never echoes them back', async () => {
    const [apiRelay, workerRelay] = pair();
    const dispatcher = recordingDispatcher();
    const storage = createMemoryStorage();
    const api = track(
      createEngine({
        storage,
        provider: createOfflineProvider({ size: 32 }),
        imageStore: createMemoryImageStore(),
        dispatcher,
        role: 'api',
        eventRelay: apiRelay,
        logger: quiet,
      }),
    );
    const worker = track(testEngine({ pollsBeforeReady: 1 }, { storage, eventRelay: workerRelay }));
    await api.start();
    await worker.start();
    const seen: string[] = [];
    api.events.on('task:progress', (e) => seen.push(`${e.index}:${e.progress}`));
    let completed = 0;
    api.events.on('batch:completed', () => completed++);
    await api.credits.grant('eva', 2, { idempotencyKey: 'g' });
    const { batch } = await api.batches.submit('eva', { prompts: ['a', 'b'] });
    const done = api.batches.waitFor('eva', batch.batchId, { recheckMs: 60_000 });
    await worker.batches.runJob(dispatcher.jobs[0]!);
    await worker.batches.runJob(dispatcher.jobs[1]!);
    expect((await done).status).toBe('completed');
    expect(seen.filter((s) => s === '0:100')).toHaveLength(1);
    expect(seen.filter((s) => s.startsWith('1:'))).toEqual(worker.progress.filter((e) => e.index === 1).map((e) => `1:${e.progress}`));
    expect(completed).toBe(1);
    // Nothing the API received went back out: it published only its own credit events.
    expect(apiRelay.sent.map((e) => e.type)).toEqual(['credits:changed', 'credits:changed']);
  });
});
