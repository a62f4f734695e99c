import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers on {@link DATABASE_URL}. In CI (`process.env.CI`) a missing server is
 * an error, not a skip; elsewhere the PostgreSQL tests skip with a visible notice.
 */
export async function postgresAvailable(): Promise<boolean> {
  const probe = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${DATABASE_URL} does not answer: ${String(error)}`);
    console.warn(
      `\n[imagegen-kit tests] SKIPPING PostgreSQL tests: nothing answers on ${DATABASE_URL}. Start it (or run .ci/run) to run them.\n`,
    );
    return false;
  } finally {
    await probe.end().catch(() => {});
  }
}

/** A schema name no other test run uses (a plain identifier, as the adapter requires). */
export const uniqueSchema = (label: string): string =>
  `igk_test_${label}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
