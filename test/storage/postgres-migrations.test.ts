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
    // All four work on the same tables.
    await Promise.all(
      opened.map((s, i) => s.applyLedgerEntry({ username: 'shared', kind: 'grant', amount: 1, idempotencyKey: `g${i}` }, 1)),
    );
    expect(await opened[0]!.getBalance('shared')).toBe(4);
    await Promise.all(opened.map((s) => s.close()));
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
