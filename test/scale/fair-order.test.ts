import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FairOrder, MAX_PRIORITY } from '../../src/adapters/dispatch/bullmq/index.js';
import { deleteKeys, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { redisOptions } from './redis-setup.js';

const redisUp = await redisAvailable();
const root = uniquePrefix('fair');

describe.runIf(redisUp)('FairOrder', () => {
  const redis = redisUp ? new Redis(redisOptions()) : (null as unknown as Redis);
  afterAll(async () => {
    await deleteKeys(redis, root);
    redis.disconnect();
  });

  it('jobs starting at once share the raises of the round: each resolves once the round covers it', async () => {
    const fair = new FairOrder(redis, `${root}q1`);
    const client = redis as unknown as { igkAdvanceRound: (...a: unknown[]) => Promise<number> };
    const original = client.igkAdvanceRound.bind(redis);
    let calls = 0;
    client.igkAdvanceRound = (...a: unknown[]) => (calls++, original(...a));
    try {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          await fair.advance(i + 1);
          expect(Number(await redis.get(fair.keys()[0]!))).toBeGreaterThanOrEqual(i + 1);
        }),
      );
      expect(calls).toBeLessThanOrEqual(2);
      expect(await redis.get(fair.keys()[0]!)).toBe('20');
      await fair.advance(5);
      expect(calls).toBeLessThanOrEqual(2);
      await fair.advance(21);
      expect(await redis.get(fair.keys()[0]!)).toBe('21');
    } finally {
      client.igkAdvanceRound = original;
    }
  });

  it('a failed raise fails the jobs waiting on it, and the next job tries again', async () => {
    const fair = new FairOrder(redis, `${root}q2`);
    const client = redis as unknown as { igkAdvanceRound: (...a: unknown[]) => Promise<number> };
    const original = client.igkAdvanceRound.bind(redis);
    client.igkAdvanceRound = () => Promise.reject(new Error('down'));
    const waiting = [fair.advance(1), fair.advance(2)];
    client.igkAdvanceRound = original;
    for (const w of waiting) await expect(w).rejects.toThrow('down');
    await fair.advance(3);
    expect(await redis.get(fair.keys()[0]!)).toBe('3');
  });

  it('a drained queue resets rounds past a quarter of the limit; a process that never saw them that high does not ask', async () => {
    const fair = new FairOrder(redis, `${root}q3`);
    const [round] = fair.keys() as [string, string];
    const client = redis as unknown as { igkResetRounds: (...a: unknown[]) => Promise<number> };
    const original = client.igkResetRounds.bind(redis);
    let calls = 0;
    client.igkResetRounds = (...a: unknown[]) => (calls++, original(...a));
    try {
      await fair.take('amy', 3);
      await fair.advance(2);
      await fair.resetIfDrained();
      expect(calls).toBe(0);
      expect(await redis.get(round)).toBe('2');
      const high = MAX_PRIORITY / 4 + 5;
      await fair.advance(high);
      await fair.resetIfDrained();
      expect(calls).toBe(1);
      expect(await redis.exists(...fair.keys())).toBe(0);
      expect(await fair.take('amy', 1)).toEqual([1]);
    } finally {
      client.igkResetRounds = original;
    }
  });
});
