import { describe, expect, it } from 'vitest';
import { report } from '../../sim/report.js';
import { runSeed } from '../../sim/run-seed.js';
import type { StorageName } from '../../sim/storages.js';

// CI runs 1,000 under its own Node; the Node matrix (scripts/ci-node-matrix.sh) runs fewer, since the seeds test the engine, not the runtime.
const SEEDS = Number(process.env.IMAGEGEN_SIM_SEEDS ?? 1_000);

describe('deterministic simulation', () => {
  it('gives the same trace for the same seed, and another for another seed', async () => {
    const a = await runSeed(42);
    const b = await runSeed(42);
    const c = await runSeed(43);
    expect(a.trace.length).toBeGreaterThan(20);
    expect(b.trace).toEqual(a.trace);
    expect(c.trace).not.toEqual(a.trace);
  });

  it('gives the same trace on SQLite as on memory', async () => {
    const memory = await runSeed(7);
    const sqlite = await runSeed(7, { storage: 'sqlite' });
    expect(sqlite.trace).toEqual(memory.trace);
  });

  it.each<StorageName>(['memory', 'sqlite'])(
    `passes ${SEEDS} seeds on %s`,
    async (storage) => {
      const started = performance.now();
      let windowSubmits = 0;
      let crashes = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const result = await runSeed(seed, { storage });
        if (result.violations.length) report(result);
        expect(result.violations, `seed ${seed}: npm run sim -- --seed ${seed} --storage ${storage}`).toEqual([]);
        windowSubmits += result.windowSubmits;
        crashes += result.crashes;
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${SEEDS} seeds on ${storage}: ${seconds.toFixed(1)} s, ${(SEEDS / seconds).toFixed(1)} seeds/s, ${crashes} crashes, ${windowSubmits} resubmits in the crash window`,
      );
    },
    170_000,
  );
});
