import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import { testEngine } from './harness.js';

/** A storage whose next call of `method` commits and then throws, as a lost connection does (twice with `times`). */
function failingAfterCommit(method: 'createBatch' | 'retryTask', times = 1): StorageAdapter & { armed: number } {
  const storage = createMemoryStorage();
  const wrapped = { ...storage, armed: times } as StorageAdapter & { armed: number };
  const original = storage[method].bind(storage) as (...args: unknown[]) => Promise<unknown>;
  (wrapped as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const result = await original(...args);
    if (wrapped.armed > 0) {
      wrapped.armed--;
      throw new Error('connection lost after commit');
    }
    return result;
  };
  return wrapped;
}

/** Found by the simulator: a replayed submit or retry never queued what the first one had committed. */
describe('a request replayed after a failure that came after its commit', () => {
  it('creates and runs the batch once when the write committed and then failed', async () => {
    const engine = testEngine({}, { storage: failingAfterCommit('createBatch') });
    await engine.start();
    await engine.credits.grant('ann', 5, { idempotencyKey: 'welcome' });
    const submitted = await engine.batches.submit('ann', { prompt: 'a fox', count: 2 });
    expect(submitted).toMatchObject({ replayed: false, creditsDeducted: 2, creditsRemaining: 3 });
    const done = await engine.batches.waitFor('ann', submitted.batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    expect(done.completedTasks).toBe(2);
    expect((await engine.batches.list('ann')).items).toHaveLength(1);
    await engine.stop();
  });

  it('queues the batch the first submit created but never queued', async () => {
    const storage = failingAfterCommit('createBatch', 2);
    const engine = testEngine({}, { storage });
    await engine.start();
    await engine.credits.grant('ann', 5, { idempotencyKey: 'welcome' });
    const body = { prompt: 'a fox', count: 2 };
    await expect(engine.batches.submit('ann', body, { idempotencyKey: 'k1' })).rejects.toThrow('connection lost');
    const replay = await engine.batches.submit('ann', body, { idempotencyKey: 'k1' });
    expect(replay.replayed).toBe(true);
    const done = await engine.batches.waitFor('ann', replay.batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    expect(done.completedTasks).toBe(2);
    expect(await engine.credits.balance('ann')).toBe(3);
    await engine.stop();
  });

  it('charges and runs a retry once when its write committed and then failed', async () => {
    const engine = testEngine({ failureRate: 1 }, { storage: failingAfterCommit('retryTask') });
    await engine.start();
    await engine.credits.grant('ann', 5, { idempotencyKey: 'welcome' });
    const { batch } = await engine.batches.submit('ann', { prompt: 'a fox', count: 1 });
    await engine.batches.waitFor('ann', batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    const retried = await engine.batches.retry('ann', batch.batchId, 0);
    expect(retried).toMatchObject({ replayed: false, creditsDeducted: 1, creditsRemaining: 3 });
    await engine.onIdle();
    const after = await engine.batches.waitFor('ann', batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    expect(after.tasks[0]!.attempts).toBe(2);
    await engine.stop();
  });

  it('queues the task a retry reset to pending but never queued', async () => {
    const storage = failingAfterCommit('retryTask', 2);
    const engine = testEngine({ failureRate: 1 }, { storage });
    await engine.start();
    await engine.credits.grant('ann', 5, { idempotencyKey: 'welcome' });
    const { batch } = await engine.batches.submit('ann', { prompt: 'a fox', count: 1 });
    const failed = await engine.batches.waitFor('ann', batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    expect(failed.failedTasks).toBe(1);
    await expect(engine.batches.retry('ann', batch.batchId, 0, { idempotencyKey: 'r1' })).rejects.toThrow('connection lost');
    const replay = await engine.batches.retry('ann', batch.batchId, 0, { idempotencyKey: 'r1' });
    expect(replay.replayed).toBe(true);
    await engine.onIdle();
    const after = await engine.batches.waitFor('ann', batch.batchId, { recheckMs: 20, signal: AbortSignal.timeout(3_000) });
    expect(after.tasks[0]!.attempts).toBe(2);
    await engine.stop();
  });
});
