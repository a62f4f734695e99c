import { describe, expect, it } from 'vitest';
import { runSeed } from '../../sim/run-seed.js';

/**
 * Bugs the simulator found in the engine, each replayed from the seed that found it (the seed
 * broke the named invariant before the fix; `npm run sim -- --seed S` shows its trace).
 */
describe('bugs found by the simulator stay fixed', () => {
  it.each([
    // A provider's progress hint that goes back showed a task's progress going down (85 → 47).
    { seed: 2, invariant: 'progressNeverDecreases' },
    // A charge that committed and then failed dropped its pending marker: the credit was lost.
    { seed: 7, invariant: 'chargeEndsInRecordOrRefund' },
    // A failed completeIdempotent left the key pending: once stale, the repeat was charged again.
    { seed: 7, invariant: 'idempotentRequestChargedOnce' },
    // A record that committed and then failed was refunded (and its image deleted).
    { seed: 44, invariant: 'chargeEndsInRecordOrRefund' },
    // start()'s recovery took over a task this same engine had just claimed for a submit made
    // while it started: two runs, the provider paid twice for one paid run.
    { seed: 101373, invariant: 'providerRequestSubmittedOnce' },
    // The same, when reading the record back failed too: it was refunded though it existed.
    { seed: 21497, invariant: 'chargeEndsInRecordOrRefund', storage: 'sqlite' as const },
    // And its idempotency key was given up: the repeat made and charged a second record.
    { seed: 106444, invariant: 'idempotentRequestChargedOnce' },
  ])('seed $seed: $invariant', async ({ seed, invariant, storage }) => {
    const result = await runSeed(seed, { storage: storage ?? 'memory' });
    expect(result.violations.filter((v) => v.invariant === invariant)).toEqual([]);
    expect(result.violations).toEqual([]);
  });
});
