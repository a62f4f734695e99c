import pg from 'pg';
import { createPostgresStorage } from 'imagegen-kit/adapters/storage/postgres';
import type { BenchCase } from '../case.js';
import { runBullmqBaseline } from '../bullmq-baseline.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { alternating, ratio, ROUNDS } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY } from '../shape.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The engine on PostgreSQL storage (a schema of its own each round, dropped after) against BullMQ on the local Redis, same job shape. */
export const postgresEngineCase: BenchCase = {
  name: 'engine-postgres',
  needs: ['redis', 'postgres'],
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    const schemaPrefix = `igk_bench_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const schemas: string[] = [];
    try {
      await warmUp();
      const run = await alternating(
        async () => (await runBullmqBaseline(`bench-${process.pid}-${Date.now().toString(36)}-bullmq`)).seconds,
        async () => {
          const schema = `${schemaPrefix}_${schemas.length}`;
          schemas.push(schema);
          const storage = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
          const { seconds } = await runEngineOn(storage, 'user');
          await storage.close();
          return seconds;
        },
      );
      return {
        case: 'engine-postgres',
        tasks,
        tasksPerSec: Math.round(tasks / run.subjectSeconds),
        baseline: 'bullmq',
        baselineTasksPerSec: Math.round(tasks / run.baselineSeconds),
        ratio: ratio(run.baselineSeconds, run.subjectSeconds),
        bytesPerTask: Math.round((await schemaBytes(admin, schemas.at(-1)!)) / tasks),
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        roundRatios: run.roundRatios,
      };
    } finally {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  },
};

/** Bytes on disk of every table of the schema, with its indexes and TOAST. */
async function schemaBytes(admin: pg.Pool, schema: string): Promise<number> {
  const { rows } = await admin.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return Number(rows[0]!.bytes);
}
