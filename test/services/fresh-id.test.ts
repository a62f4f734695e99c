import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { ConflictError } from '../../src/core/errors/conflict-error.js';
import { ValidationError } from '../../src/core/errors/validation-error.js';
import { IdClock } from '../../src/core/ids.js';
import { withFreshId } from '../../src/core/services/fresh-id.js';
import { testEngine } from './helpers.js';

describe('withFreshId', () => {
  it('tries again with a later timestamp while storage says the id is taken', async () => {
    const clock = new IdClock(() => 1_000);
    const tried: number[] = [];
    const result = await withFreshId(clock, async (timestamp) => {
      tried.push(timestamp);
      if (tried.length < 3) throw new ConflictError('id_taken', 'taken');
      return `id:${timestamp}`;
    });
    expect(tried).toEqual([1_000, 1_001, 1_002]);
    expect(result).toBe('id:1002');
    expect(clock.next()).toBe(1_003);
  });

  it('starts from the timestamp the caller already took', async () => {
    const clock = new IdClock(() => 5);
    const first = clock.next();
    const tried: number[] = [];
    await withFreshId(
      clock,
      async (timestamp) => {
        tried.push(timestamp);
        if (tried.length === 1) throw new ConflictError('id_taken', 'taken');
      },
      first,
    );
    expect(tried).toEqual([5, 6]);
  });

  it('rethrows any other error at once, a conflict of another reason included', async () => {
    for (const error of [new ConflictError('idempotency_mismatch', 'no'), new ValidationError('prompt', 'bad'), new Error('boom')]) {
      let tries = 0;
      const thrown = await withFreshId(new IdClock(), async () => {
        tries++;
        throw error;
      }).catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(tries).toBe(1);
    }
  });

  it('gives up after 20 fresh ids and throws the last conflict', async () => {
    let tries = 0;
    const thrown = await withFreshId(new IdClock(() => 0), async () => {
      tries++;
      throw new ConflictError('id_taken', 'taken');
    }).catch((e: unknown) => e);
    expect(tries).toBe(21);
    expect(thrown).toMatchObject({ code: 'conflict', reason: 'id_taken' });
  });
});

describe('ids taken by another process', () => {
  const at = () => 1_700_000_000_000;

  it('a batch gets the next millisecond when another engine on the same storage took this one', async () => {
    const storage = createMemoryStorage();
    const { engine: a } = await testEngine({ storage, now: at, credits: 5 });
    const { engine: b } = await testEngine({ storage, now: at, credits: 0 });
    // Default keys: the second submit is a batch of its own, charged, not a replay of the first.
    const first = await a.batches.submit('alice', { prompts: ['x'] });
    const second = await b.batches.submit('alice', { prompts: ['y'] });
    expect(second.replayed).toBe(false);
    expect(first.batch.batchId).toBe('batch:alice:1700000000000');
    expect(second.batch.batchId).toBe('batch:alice:1700000000001');
    expect(second.creditsRemaining).toBe(3);
    await Promise.all([a.stop({ graceMs: 0 }), b.stop({ graceMs: 0 })]);
  });

  it('a generation record gets the next millisecond and leaves no pending marker', async () => {
    const storage = createMemoryStorage();
    const { engine: a } = await testEngine({ storage, now: at, credits: 5 });
    const { engine: b } = await testEngine({ storage, now: at, credits: 0 });
    const first = await a.textToImage.run('alice', { prompt: 'x' });
    const second = await b.textToImage.run('alice', { prompt: 'y' });
    expect(first.record.recordId).toBe('record:alice:1700000000000');
    expect(second.record.recordId).toBe('record:alice:1700000000001');
    expect(second.record.createdAt).toBe(1_700_000_000_001);
    // Both were charged: the second charge did not replay the first one's.
    expect(await a.credits.balance('alice')).toBe(3);
    expect(await storage.listPendingGenerations(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});
