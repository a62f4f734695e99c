import type { Database } from 'better-sqlite3';

/**
 * The schema as an ordered list of migrations: migration `i` moves `PRAGMA user_version` from `i`
 * to `i + 1`. Opening a file runs the missing ones inside one `BEGIN IMMEDIATE`, so two processes
 * opening a new file at once migrate it once. Append new steps; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: credits, batches with one row per task, records, idempotency keys.
  `
  CREATE TABLE accounts (
    username TEXT PRIMARY KEY,
    balance INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE ledger (
    username TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    reference TEXT,
    reason TEXT,
    fingerprint TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (username, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX ledger_by_key ON ledger (username, idempotency_key);

  CREATE TABLE batches (
    batch_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    total_tasks INTEGER NOT NULL,
    completed_tasks INTEGER NOT NULL,
    failed_tasks INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX batches_by_user ON batches (username, created_at);

  CREATE TABLE tasks (
    batch_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    progress INTEGER NOT NULL,
    result TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER,
    provider_request_id TEXT,
    lease_expires_at INTEGER,
    PRIMARY KEY (batch_id, idx)
  ) WITHOUT ROWID;

  CREATE TABLE records (
    record_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX records_by_user ON records (username, created_at);

  CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response TEXT,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: recovery lists open batches oldest first without scanning finished ones.
  `
  CREATE INDEX batches_open ON batches (created_at, batch_id) WHERE status <> 'completed';
  `,
  // 3: stored responses of idempotent requests expire (responses stored before keep 24 h from
  // their completion); a pending key's updated_at is when it began, which staleness is measured from.
  `
  ALTER TABLE idempotency ADD COLUMN expires_at INTEGER;
  UPDATE idempotency SET expires_at = updated_at + 86400000 WHERE state = 'done';
  CREATE INDEX idempotency_expiry ON idempotency (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 4: markers of single generations between their charge and their record or refund, swept
  // oldest first after a crash.
  `
  CREATE TABLE pending_generations (
    record_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    charge_key TEXT NOT NULL,
    started_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX pending_generations_by_start ON pending_generations (started_at, record_id);
  `,
  // 5: grants with credits left and the draws of charges that took from them. Balances written
  // before are the default pool (balance minus tracked grants), so no row moves.
  `
  ALTER TABLE accounts ADD COLUMN grant_remaining INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN next_expiry INTEGER;
  CREATE TABLE grants (
    username TEXT NOT NULL,
    grant_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    expires_at INTEGER,
    seq INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    PRIMARY KEY (username, grant_key)
  ) WITHOUT ROWID;
  CREATE TABLE grant_draws (
    username TEXT NOT NULL,
    charge_key TEXT NOT NULL,
    draws TEXT NOT NULL,
    PRIMARY KEY (username, charge_key)
  ) WITHOUT ROWID;
  `,
  // 6: cancelled tasks are counted per batch (batches written before have none).
  `
  ALTER TABLE batches ADD COLUMN cancelled_tasks INTEGER NOT NULL DEFAULT 0;
  `,
  // 7: the key of the charge that paid for a batch, and for a task its last retry's, so a task's
  // refund gives back to what that charge drew (rows written before have none: their refunds join
  // the pool, as before); failed tasks listed newest first by the admin API without a scan; a
  // user's open batches found without a scan (the tasks-waiting ceiling sums their counters).
  `
  ALTER TABLE batches ADD COLUMN charge_key TEXT;
  ALTER TABLE tasks ADD COLUMN charge_key TEXT;
  CREATE INDEX tasks_failed ON tasks (completed_at, batch_id, idx) WHERE status = 'failed';
  CREATE INDEX batches_open_by_user ON batches (username) WHERE status <> 'completed';
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file to {@link SCHEMA_VERSION} (or `target`, for tests). Throws when the file was
 * written by a newer version of this library.
 */
export function migrate(db: Database, target: number = SCHEMA_VERSION): number {
  const step = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `imagegen-kit: the SQLite file has schema version ${current}, newer than this library's ${SCHEMA_VERSION}; upgrade imagegen-kit`,
      );
    }
    for (let version = current; version < target; version++) db.exec(MIGRATIONS[version]!);
    if (target > current) db.pragma(`user_version = ${target}`);
    return Math.max(current, target);
  });
  return step.immediate();
}
