import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { seededBatch, tick } from '../../src/adapter-kit/index.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';

const available = await postgresAvailable();

// The adapter writes the task transitions started together as one group (one statement per kind);
// these check that a group means what the same calls one after another would.
describe.runIf(available)('postgres: task writes started together', () => {
  const schema = uniqueSchema('group');
  let storage: StorageAdapter;
  beforeAll(async () => {
    storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
  });
  afterAll(async () => {
    await storage.close();
    await dropSchema(schema);
  });

  it('20 tasks of one batch claimed and then ended at once: each once, counters exact, exactly one write closes the batch', async () => {
    const prompts = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const batch = await seededBatch(storage, `grp${process.pid}`, prompts);
    const now = tick();
    const claims = await Promise.all(
      prompts.map((_, i) =>
        storage.claimTask(batch.batchId, i, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 1000, progress: 10 }),
      ),
    );
    expect(claims.every((c) => c?.status === 'processing' && c.attempts === 1)).toBe(true);
    const ends = await Promise.all(
      prompts.map((_, i) =>
        i % 4 === 0
          ? storage.failTask(batch.batchId, i, 1, `no ${i}`, tick())
          : storage.completeTask(batch.batchId, i, 1, { result: { imageUrl: `/img/${i}.png`, requestId: `r${i}` }, progress: 100 }, tick()),
      ),
    );
    expect(ends.every((e) => e !== null)).toBe(true);
    expect(ends.filter((e) => e!.batchCompleted)).toHaveLength(1);
    const stored = await storage.getBatch(batch.batchId);
    expect(stored).toMatchObject({ status: 'completed', completedTasks: 15, failedTasks: 5 });
    expect(stored!.tasks[3]).toMatchObject({ status: 'completed', progress: 100, result: { imageUrl: '/img/3.png', requestId: 'r3' } });
    expect(stored!.tasks[4]).toMatchObject({ status: 'failed', error: 'no 4', progress: 10 });
  });

  it('a progress write and the end of the same task started together apply in order', async () => {
    const batch = await seededBatch(storage, `grq${process.pid}`, ['a', 'b']);
    const now = tick();
    await storage.claimTask(batch.batchId, 0, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 1000, progress: 10 });
    const [progressed, ended, late] = await Promise.all([
      storage.updateTaskProgress(batch.batchId, 0, 1, { progress: 40, providerRequestId: 'req', now: tick() }),
      storage.completeTask(batch.batchId, 0, 1, { result: { imageUrl: '/i.png', requestId: 'req' }, progress: 100 }, tick()),
      storage.updateTaskProgress(batch.batchId, 0, 1, { progress: 60, now: tick() }),
    ]);
    expect(progressed).toBe(true);
    expect(ended).toMatchObject({ task: { status: 'completed', progress: 100, providerRequestId: 'req' }, batchCompleted: false });
    expect(late).toBe(false);
  });
  it('writes of many batches in overlapping groups: each task keeps the order its writes came in, every counter exact', async () => {
    const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema, groupsInFlight: 2 });
    onTestFinished(() => storage.close());
    const batches = await Promise.all(
      Array.from({ length: 12 }, (_, b) => seededBatch(storage, `grm${process.pid}-${b}`, ['a', 'b', 'c', 'd', 'e'])),
    );
    const now = tick();
    await Promise.all(
      batches.flatMap((batch) =>
        batch.tasks.map((_, i) =>
          storage.claimTask(batch.batchId, i, { expect: { status: 'pending' }, now, leaseExpiresAt: now + 1000, progress: 10 }),
        ),
      ),
    );
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    // Each write of a task starts a turn after the one before it, so they land in different groups
    // while other batches' groups are still in flight.
    const runs = batches.flatMap((batch) =>
      batch.tasks.map(async (_, i) => {
        const progressed = storage.updateTaskProgress(batch.batchId, i, 1, { progress: 40, providerRequestId: `req${i}`, now: tick() });
        await nextTurn();
        const ended = storage.completeTask(
          batch.batchId,
          i,
          1,
          { result: { imageUrl: `/i${i}.png`, requestId: `req${i}` }, progress: 100 },
          tick(),
        );
        await nextTurn();
        const late = storage.updateTaskProgress(batch.batchId, i, 1, { progress: 60, now: tick() });
        return Promise.all([progressed, ended, late]);
      }),
    );
    for (const [progressed, ended, late] of await Promise.all(runs)) {
      expect(progressed).toBe(true);
      expect(ended).toMatchObject({ task: { status: 'completed', progress: 100 } });
      expect(late).toBe(false);
    }
    for (const batch of batches) {
      const stored = await storage.getBatch(batch.batchId);
      expect(stored).toMatchObject({ status: 'completed', completedTasks: 5, failedTasks: 0 });
      expect(stored!.tasks.map((t) => t.providerRequestId)).toEqual(['req0', 'req1', 'req2', 'req3', 'req4']);
    }
  });
  it('refuses a groupsInFlight that would never send a write, naming the option', async () => {
    for (const groupsInFlight of [0, -1, 1.5, Number.NaN]) {
      await expect(createPostgresStorage({ connectionString: DATABASE_URL, schema, groupsInFlight })).rejects.toThrow(/groupsInFlight/);
    }
  });
});
