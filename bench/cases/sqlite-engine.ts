import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqliteStorage } from 'imagegen-kit/adapters/storage/sqlite';
import type { BenchCase } from '../case.js';
import { runBullmqBaseline } from '../bullmq-baseline.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { ratio } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY } from '../shape.js';

/** The engine on a SQLite file (WAL) against BullMQ on the local Redis, same job shape. */
export const sqliteEngineCase: BenchCase = {
  name: 'engine-sqlite',
  needs: ['redis'],
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    const dir = mkdtempSync(join(tmpdir(), 'igk-bench-'));
    try {
      await warmUp();
      const baseline = await runBullmqBaseline(`bench-${process.pid}-${Date.now().toString(36)}-bullmq`);
      const file = join(dir, 'bench.db');
      const storage = createSqliteStorage({ path: file });
      const engine = await runEngineOn(storage, 'user');
      await storage.close();
      // Fold the WAL into the file so its size is what the data takes.
      const db = new BetterSqlite3(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      return {
        case: 'engine-sqlite',
        tasks,
        tasksPerSec: Math.round(tasks / engine.seconds),
        baseline: 'bullmq',
        baselineTasksPerSec: Math.round(tasks / baseline.seconds),
        ratio: ratio(baseline.seconds, engine.seconds),
        bytesPerTask: Math.round(statSync(file).size / tasks),
        concurrency: CONCURRENCY,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
