import { describe, expect, it } from 'vitest';
import { runSeed } from '../../sim/run-seed.js';
import { MUTANTS } from './mutants.js';

const MAX_SEEDS = 1_000;

/** The simulator finds each broken rule within 1,000 seeds and names the invariant it breaks. */
describe('the simulator catches every mutant', () => {
  it.each(MUTANTS.map((m) => [m.name, m] as const))(
    '%s',
    async (_, mutant) => {
      let found: { seed: number; invariants: string[] } | null = null;
      for (let seed = 1; seed <= MAX_SEEDS && !found; seed++) {
        const result = await runSeed(seed, { wrap: mutant.wrap });
        if (result.violations.length) found = { seed, invariants: [...new Set(result.violations.map((v) => v.invariant))] };
      }
      console.log(`${mutant.name}: caught at seed ${found?.seed} by ${found?.invariants.join(', ')}`);
      expect(found, `not caught within ${MAX_SEEDS} seeds`).not.toBeNull();
      expect(found!.invariants).toContain(mutant.invariant);
    },
    120_000,
  );
});
