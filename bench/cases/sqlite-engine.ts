import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqliteStorage } from 'imagegen-kit/adapters/storage/sqlite';
import type { BenchCase } from '../case.js';
import { runBullmqBaseline } from '../bullmq-baseline.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { alternating, ratio, ROUNDS } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY } from '../shape.js';

/** The engine on a SQLite file (WAL, a new one each round) against BullMQ on the local Redis, same job shape. */
export const sqliteEngineCase: BenchCase = {
  name: 'engine-sqlite',
  needs: ['redis'],
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    const dir = mkdtempSync(join(tmpdir(), 'igk-bench-'));
    let file = '';
    let round = 0;
    try {
      await warmUp();
      const run = await alternating(
        async () => (await runBullmqBaseline(`bench-${process.pid}-${Date.now().toString(36)}-bullmq`)).seconds,
        async () => {
          file = join(dir, `bench-${round++}.db`);
          const storage = createSqliteStorage({ path: file });
          const { seconds } = await runEngineOn(storage, 'user');
          await storage.close();
          return seconds;
        },
      );
      // Fold the WAL into the file so its size is what the data takes.
      const db = new BetterSqlite3(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      return {
        case: 'engine-sqlite',
        tasks,
        tasksPerSec: Math.round(tasks / run.subjectSeconds),
        baseline: 'bullmq',
        baselineTasksPerSec: Math.round(tasks / run.baselineSeconds),
        ratio: ratio(run.baselineSeconds, run.subjectSeconds),
        bytesPerTask: Math.round(statSync(file).size / tasks),
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        roundRatios: run.roundRatios,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
