import type { Pool } from 'pg';
import type { StoredUser, UserRecords } from './records.js';

/** Versioned: entry n brings the tables from version n to n + 1. Append, never edit. */
const MIGRATIONS: Array<(table: (name: string) => string) => string> = [
  (t) => `
    CREATE TABLE ${t('server_users')} (
      username TEXT PRIMARY KEY, salt BYTEA NOT NULL, hash BYTEA NOT NULL, created_at BIGINT NOT NULL
    );
    CREATE TABLE ${t('server_tokens')} (
      token_hash TEXT PRIMARY KEY,
      username TEXT NOT NULL REFERENCES ${t('server_users')} (username),
      created_at BIGINT NOT NULL,
      last_used_at BIGINT NOT NULL,
      expires_at BIGINT
    );
    CREATE INDEX server_tokens_by_user ON ${t('server_tokens')} (username);`,
];

/**
 * Users and tokens as tables in the engine's PostgreSQL schema, on the engine's pool:
 * `server_users` and `server_tokens`, migrated in one transaction under an advisory lock keyed by
 * the schema, so processes on several hosts may open it at once. The pool stays the caller's.
 */
export async function openPostgresUserRecords(pool: Pool, schema: string): Promise<UserRecords> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`not a plain schema name: ${schema}`);
  const t = (name: string) => `"${schema}"."${name}"`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`imagegen-kit server users ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t('server_schema_migrations')} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
    );
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t('server_schema_migrations')}`);
    const current = rows[0]?.v ?? 0;
    if (current > MIGRATIONS.length)
      throw new Error(`the server's user tables in "${schema}" are at version ${current}, newer than this server's`);
    for (let version = current; version < MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version]!(t));
      await client.query(`INSERT INTO ${t('server_schema_migrations')} (version, applied_at) VALUES ($1, $2)`, [version + 1, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }

  type Row = { username: string; salt: Buffer; hash: Buffer; created_at: string };
  const toUser = (row: Row): StoredUser => ({ username: row.username, salt: row.salt, hash: row.hash, createdAt: Number(row.created_at) });
  const selectUser = `SELECT username, salt, hash, created_at FROM ${t('server_users')} WHERE username = $1`;

  return {
    async createUser(user) {
      // The insert, or (name taken: ON CONFLICT waits for a concurrent insert to commit) the row
      // that holds the name, read by the next statement.
      const sql = `INSERT INTO ${t('server_users')} (username, salt, hash, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (username) DO NOTHING RETURNING username, salt, hash, created_at`;
      for (;;) {
        const inserted = await pool.query<Row>(sql, [user.username, user.salt, user.hash, user.createdAt]);
        if (inserted.rows[0]) return { user: toUser(inserted.rows[0]), created: true };
        const existing = await pool.query<Row>(selectUser, [user.username]);
        if (existing.rows[0]) return { user: toUser(existing.rows[0]), created: false };
      }
    },
    async findUser(username) {
      const { rows } = await pool.query<Row>(selectUser, [username]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    async addToken(token) {
      await pool.query(
        `INSERT INTO ${t('server_tokens')} (token_hash, username, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
        [token.tokenHash, token.username, token.createdAt, token.expiresAt],
      );
    },
    async findToken(tokenHash, now) {
      const { rows } = await pool.query<{ username: string }>(
        `SELECT username FROM ${t('server_tokens')} WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2)`,
        [tokenHash, now],
      );
      return rows[0] ?? null;
    },
    async deleteToken(tokenHash) {
      await pool.query(`DELETE FROM ${t('server_tokens')} WHERE token_hash = $1`, [tokenHash]);
    },
    async close() {},
  };
}
