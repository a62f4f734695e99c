import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, MIGRATIONS, SCHEMA_VERSION } from '../../src/adapters/storage/postgres/index.js';
import { DATABASE_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-server.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres: opening and migrating', () => {
  const schemas: string[] = [];
  const fresh = (label: string) => {
    const schema = uniqueSchema(label);
    schemas.push(schema);
    return schema;
  };
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
    await pool.end();
  });
  const foreignKeys = async (schema: string) =>
    (
      await pool.query<{ constraint_name: string }>(
        `SELECT constraint_name FROM information_schema.table_constraints
         WHERE table_schema = $1 AND constraint_type = 'FOREIGN KEY' ORDER BY constraint_name`,
        [schema],
      )
    ).rows.map((r) => r.constraint_name);

  it('4 opens at once of a fresh schema: no error, one set of tables, each migration applied once', async () => {
    const schema = fresh('migrate');
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => createPostgresStorage({ connectionString: DATABASE_URL, schema, maxConnections: 2 })),
    );
    const tables = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'accounts',
      'batches',
      'grant_draws',
      'grants',
      'idempotency',
      'ledger',
      'pending_generations',
      'records',
      'schema_migrations',
      'tasks',
    ]);
    const versions = await pool.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(await foreignKeys(schema)).toEqual([]);
    // All four work on the same tables.
    await Promise.all(
      opened.map((s, i) => s.applyLedgerEntry({ username: 'shared', kind: 'grant', amount: 1, idempotencyKey: `g${i}` }, 1)),
    );
    expect(await opened[0]!.getBalance('shared')).toBe(4);
    await Promise.all(opened.map((s) => s.close()));
  });

  it('migrates a version-3 schema with a batch in flight: its refunds still work (to the pool); the new partial indexes exist; the foreign key goes', async () => {
    const schema = fresh('v3');
    const t = (name: string) => `"${schema}"."${name}"`;
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE ${t('schema_migrations')} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    for (let v = 0; v < 3; v++) {
      await pool.query(MIGRATIONS[v]!(t));
      await pool.query(`INSERT INTO ${t('schema_migrations')} (version, applied_at) VALUES ($1, 0)`, [v + 1]);
    }
    await pool.query(`
      INSERT INTO ${t('accounts')} (username, balance, last_seq) VALUES ('dora', 1, 2);
      INSERT INTO ${t('ledger')} (username, seq, kind, amount, balance_after, idempotency_key, reference, created_at)
        VALUES ('dora', 1, 'grant', 3, 3, 'g', NULL, 1), ('dora', 2, 'charge', -2, 1, 'c', 'batch:dora:5', 5);
      INSERT INTO ${t('batches')} (batch_id, username, total_tasks, completed_tasks, failed_tasks, status, created_at, updated_at)
        VALUES ('batch:dora:5', 'dora', 2, 0, 0, 'pending', 5, 5);
      INSERT INTO ${t('tasks')} (batch_id, idx, prompt, params, status, progress, created_at, attempts)
        VALUES ('batch:dora:5', 0, 'a', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0),
               ('batch:dora:5', 1, 'b', '{"aspect_ratio":"1:1"}', 'pending', 0, 5, 0);
    `);

    expect(await foreignKeys(schema)).toEqual(['tasks_batch_id_fkey']);
    const storage = await createPostgresStorage({ pool, schema });
    const versions = await pool.query<{ version: number }>(`SELECT version FROM ${t('schema_migrations')} ORDER BY version`);
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    // Version 5 dropped the tasks' foreign key; the batch's rows are as they were.
    expect(await foreignKeys(schema)).toEqual([]);
    const refund = { amount: 1, keyPrefix: 'refund:cancel:', reason: 'cancelled' };
    const cancelled = await storage.cancelTasks('batch:dora:5', { taskIndex: 0, refundPending: refund, refundProcessing: null, now: 10 });
    expect(cancelled).toMatchObject({ balance: 2, cancelled: [{ refund: { amount: 1, reference: 'batch:dora:5:0' } }] });
    const run = await storage.claimTask('batch:dora:5', 1, {
      expect: { status: 'pending' },
      now: 11,
      leaseExpiresAt: 60_000,
      progress: 10,
    });
    const failed = await storage.failTask('batch:dora:5', 1, run!.attempts, 'boom', 20, { ...refund, keyPrefix: 'refund:failed:' });
    expect(failed!.refund).toMatchObject({ balance: 3 });
    expect((await storage.listFailedTasks({})).items).toEqual([expect.objectContaining({ batchId: 'batch:dora:5', index: 1 })]);
    const indexes = await pool.query<{ indexname: string; indexdef: string }>(
      'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = ANY($2) ORDER BY indexname',
      [schema, ['batches_open_by_user', 'tasks_failed']],
    );
    expect(indexes.rows.map((r) => [r.indexname, /WHERE/.test(r.indexdef)])).toEqual([
      ['batches_open_by_user', true],
      ['tasks_failed', true],
    ]);
    // The admin list's query can walk the index (forced, since a table this small is scanned anyway).
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT t.batch_id, b.username, t.idx, t.attempts, t.error, t.completed_at
         FROM ${t('tasks')} t JOIN ${t('batches')} b ON b.batch_id = t.batch_id
         WHERE t.status = 'failed' ORDER BY t.completed_at DESC, t.batch_id DESC, t.idx DESC LIMIT 21`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan Backward using tasks_failed/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    await storage.close();
  });

  it('keeps schemas apart: the same user in two schemas has two balances', async () => {
    const [a, b] = await Promise.all([fresh('tenant_a'), fresh('tenant_b')].map((schema) => createPostgresStorage({ pool, schema })));
    await a!.applyLedgerEntry({ username: 'same', kind: 'grant', amount: 5, idempotencyKey: 'g' }, 1);
    expect(await a!.getBalance('same')).toBe(5);
    expect(await b!.getBalance('same')).toBe(0);
    await a!.close();
    await b!.close();
  });

  it('leaves a pool the host owns open on close', async () => {
    const storage = await createPostgresStorage({ pool, schema: fresh('owned') });
    await storage.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses a schema written by a newer version of the library', async () => {
    const schema = fresh('newer');
    await (await createPostgresStorage({ pool, schema })).close();
    await pool.query(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, 0)`, [SCHEMA_VERSION + 1]);
    await expect(createPostgresStorage({ pool, schema })).rejects.toThrow(/newer than this library/);
  });

  it('refuses a schema name that is not a plain identifier, touching nothing', async () => {
    await expect(createPostgresStorage({ pool, schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(RangeError);
  });
});
