import type { Database } from './database.js';

/** Names a table of the adapter's schema, quoted (see {@link Database.table}). */
type Table = (name: string) => string;

/**
 * The schema as an ordered list of migrations: migration `i` is version `i + 1`, recorded in
 * `schema_migrations` once applied. Append new steps; never edit a released one. Timestamps are
 * milliseconds in BIGINT; task params and results and record bodies are JSONB; a stored response
 * of an idempotent request is TEXT so that it is replayed byte for byte. Ids sort by their bytes
 * (`COLLATE "C"`), as in the other adapters, whatever the database's locale.
 */
export const MIGRATIONS: ReadonlyArray<(t: Table) => string> = [
  // 1: credits, batches with one row per task, records, idempotency keys, pending generations.
  (t) => `
  CREATE TABLE ${t('accounts')} (
    username TEXT PRIMARY KEY,
    balance BIGINT NOT NULL CHECK (balance >= 0),
    last_seq BIGINT NOT NULL
  );

  CREATE TABLE ${t('ledger')} (
    username TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    reference TEXT,
    reason TEXT,
    fingerprint TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (username, seq),
    CONSTRAINT ledger_by_key UNIQUE (username, idempotency_key)
  );

  -- fillfactor leaves room on each page so counter and progress updates stay HOT (no index write).
  CREATE TABLE ${t('batches')} (
    batch_id TEXT COLLATE "C" PRIMARY KEY,
    username TEXT NOT NULL,
    total_tasks INTEGER NOT NULL,
    completed_tasks INTEGER NOT NULL,
    failed_tasks INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  ) WITH (fillfactor = 80);
  CREATE INDEX batches_by_user ON ${t('batches')} (username, created_at DESC);
  CREATE INDEX batches_open ON ${t('batches')} (created_at, batch_id) WHERE status <> 'completed';

  CREATE TABLE ${t('tasks')} (
    batch_id TEXT COLLATE "C" NOT NULL REFERENCES ${t('batches')} (batch_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    params JSONB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    progress INTEGER NOT NULL,
    result JSONB,
    error TEXT,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    provider_request_id TEXT,
    lease_expires_at BIGINT,
    PRIMARY KEY (batch_id, idx)
  ) WITH (fillfactor = 80);

  CREATE TABLE ${t('records')} (
    record_id TEXT COLLATE "C" PRIMARY KEY,
    username TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data JSONB NOT NULL
  );
  CREATE INDEX records_by_user ON ${t('records')} (username, created_at DESC);

  CREATE TABLE ${t('idempotency')} (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    fingerprint TEXT NOT NULL,
    response TEXT,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT
  );
  CREATE INDEX idempotency_expiry ON ${t('idempotency')} (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE ${t('pending_generations')} (
    record_id TEXT COLLATE "C" PRIMARY KEY,
    username TEXT NOT NULL,
    charge_key TEXT NOT NULL,
    started_at BIGINT NOT NULL
  );
  CREATE INDEX pending_generations_by_start ON ${t('pending_generations')} (started_at, record_id);
  `,
  // 2: grants with credits left and the draws of charges that took from them. Balances written
  // before are the default pool (balance minus tracked grants), so no row moves.
  (t) => `
  ALTER TABLE ${t('accounts')} ADD COLUMN grant_remaining BIGINT NOT NULL DEFAULT 0, ADD COLUMN next_expiry BIGINT;
  CREATE TABLE ${t('grants')} (
    username TEXT NOT NULL,
    grant_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('paid', 'promo')),
    priority INTEGER NOT NULL,
    expires_at BIGINT,
    seq BIGINT NOT NULL,
    remaining BIGINT NOT NULL CHECK (remaining > 0),
    PRIMARY KEY (username, grant_key)
  );
  CREATE TABLE ${t('grant_draws')} (
    username TEXT NOT NULL,
    charge_key TEXT NOT NULL,
    draws JSONB NOT NULL,
    PRIMARY KEY (username, charge_key)
  );
  `,
  // 3: a task may end cancelled, and a batch counts its cancelled tasks (0 for batches written before).
  (t) => `
  ALTER TABLE ${t('batches')} ADD COLUMN cancelled_tasks INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE ${t('tasks')} DROP CONSTRAINT tasks_status_check,
    ADD CONSTRAINT tasks_status_check CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled'));
  `,
  // 4: the key of the charge that paid for a batch, and for a task its last retry's, so a task's
  // refund gives back to what that charge drew (rows written before have none: their refunds join
  // the pool, as before; adding a column without a default rewrites no row); failed tasks listed
  // newest first by the admin API without a scan; a user's open batches found without a scan (the
  // tasks-waiting ceiling sums their counters). Both indexes are partial, so they hold few rows;
  // building them blocks writes to the table for as long as the build takes (a migration runs in
  // one transaction, where CREATE INDEX CONCURRENTLY is not allowed).
  (t) => `
  ALTER TABLE ${t('batches')} ADD COLUMN charge_key TEXT;
  ALTER TABLE ${t('tasks')} ADD COLUMN charge_key TEXT;
  CREATE INDEX tasks_failed ON ${t('tasks')} (completed_at, batch_id, idx) WHERE status = 'failed';
  CREATE INDEX batches_open_by_user ON ${t('batches')} (username) WHERE status <> 'completed';
  `,
  // 5: tasks no longer reference their batch by a foreign key. This adapter is their only writer and
  // inserts them in the statement that inserts their batch, and nothing deletes a batch; the key's
  // check ran once per task row and locked the batch row, 18% of a 10-task submit's statement
  // (as the other adapters, a host that deletes a batch deletes its tasks too).
  (t) => `
  ALTER TABLE ${t('tasks')} DROP CONSTRAINT IF EXISTS tasks_batch_id_fkey;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates the schema if absent and applies the missing migrations, in one transaction under an
 * advisory lock keyed by the schema name: processes opening the same schema at once wait for one
 * another, and the first one migrates. Throws when the schema was written by a newer version of
 * this library. Returns the version the schema is at.
 */
export async function migrate(db: Database, target: number = SCHEMA_VERSION): Promise<number> {
  return db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`imagegen-kit migrate ${db.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${db.table('schema_migrations')} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
    );
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${db.table('schema_migrations')}`);
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `imagegen-kit: the PostgreSQL schema "${db.schema}" has version ${current}, newer than this library's ${SCHEMA_VERSION}; upgrade imagegen-kit`,
      );
    }
    for (let version = current; version < target; version++) {
      await client.query(MIGRATIONS[version]!((name) => db.table(name)));
      await client.query(`INSERT INTO ${db.table('schema_migrations')} (version, applied_at) VALUES ($1, $2)`, [version + 1, Date.now()]);
    }
    return Math.max(current, target);
  });
}
