import type { Pool } from 'pg';
import { type StoredUser, takeAttemptOn, type UserRecords } from './records.js';

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
  (t) => `
    CREATE TABLE ${t('server_limits')} (
      limit_key TEXT PRIMARY KEY, hits INTEGER NOT NULL, blocked_until BIGINT NOT NULL, expires_at BIGINT NOT NULL
    );
    CREATE INDEX server_limits_by_expiry ON ${t('server_limits')} (expires_at);`,
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
  const tokens = t('server_tokens');
  const limits = t('server_limits');
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
    async findToken(tokenHash, now, renew) {
      const alive = `token_hash = $1 AND (expires_at IS NULL OR expires_at > $2::bigint)`;
      if (!renew) {
        const { rows } = await pool.query<{ username: string }>(`SELECT username FROM ${tokens} WHERE ${alive}`, [tokenHash, now]);
        return rows[0] ?? null;
      }
      // One statement: the read, and the renewal only when due (a no-match UPDATE writes nothing).
      const { rows } = await pool.query<{ username: string }>(
        `WITH renewed AS (
           UPDATE ${tokens} SET last_used_at = $2::bigint, expires_at = $3::bigint WHERE ${alive} AND last_used_at < $4::bigint
         )
         SELECT username FROM ${tokens} WHERE ${alive}`,
        [tokenHash, now, renew.expiresAt, renew.ifUsedBefore],
      );
      return rows[0] ?? null;
    },
    async deleteToken(tokenHash) {
      await pool.query(`DELETE FROM ${tokens} WHERE token_hash = $1`, [tokenHash]);
    },
    async deleteUserTokens(username) {
      return (await pool.query(`DELETE FROM ${tokens} WHERE username = $1`, [username])).rowCount ?? 0;
    },
    async changePassword({ username, expectedHash, salt, hash, token }) {
      // One statement: every part sees the same snapshot, so the DELETE spares the new token.
      const { rows } = await pool.query<{ n: string }>(
        `WITH changed AS (
           UPDATE ${t('server_users')} SET salt = $2, hash = $3 WHERE username = $1 AND hash = $4 RETURNING username
         ), revoked AS (
           DELETE FROM ${tokens} WHERE username IN (SELECT username FROM changed)
         ), issued AS (
           INSERT INTO ${tokens} (token_hash, username, created_at, last_used_at, expires_at)
           SELECT $5, username, $6::bigint, $6::bigint, $7::bigint FROM changed
         )
         SELECT count(*) AS n FROM changed`,
        [username, salt, hash, expectedHash, token.tokenHash, token.createdAt, token.expiresAt],
      );
      return Number(rows[0]?.n) === 1;
    },
    async takeAttempt(key, now, policy) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // A placeholder row (expired at once) to lock when the key is new.
        await client.query(
          `INSERT INTO ${limits} (limit_key, hits, blocked_until, expires_at) VALUES ($1, 0, 0, 0) ON CONFLICT (limit_key) DO NOTHING`,
          [key],
        );
        const { rows } = await client.query<{ hits: number; blocked_until: string; expires_at: string }>(
          `SELECT hits, blocked_until, expires_at FROM ${limits} WHERE limit_key = $1 FOR UPDATE`,
          [key],
        );
        const stored = rows[0]!;
        const { waitMs, row } = takeAttemptOn(
          { hits: stored.hits, blockedUntil: Number(stored.blocked_until), expiresAt: Number(stored.expires_at) },
          now,
          policy,
        );
        if (waitMs === 0) {
          await client.query(`UPDATE ${limits} SET hits = $2, blocked_until = $3, expires_at = $4 WHERE limit_key = $1`, [
            key,
            row.hits,
            row.blockedUntil,
            row.expiresAt,
          ]);
        }
        await client.query('COMMIT');
        return waitMs;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async refundAttempt(key) {
      await pool.query(`UPDATE ${limits} SET hits = greatest(hits - 1, 0) WHERE limit_key = $1`, [key]);
    },
    async clearAttempts(key) {
      await pool.query(`DELETE FROM ${limits} WHERE limit_key = $1`, [key]);
    },
    async hitCounter(key, now, windowMs) {
      const { rows } = await pool.query<{ hits: number; expires_at: string }>(
        `INSERT INTO ${limits} AS l (limit_key, hits, blocked_until, expires_at) VALUES ($1, 1, 0, $2::bigint + $3::bigint)
         ON CONFLICT (limit_key) DO UPDATE SET
           hits = CASE WHEN l.expires_at <= $2::bigint THEN 1 ELSE l.hits + 1 END,
           expires_at = CASE WHEN l.expires_at <= $2::bigint THEN $2::bigint + $3::bigint ELSE l.expires_at END
         RETURNING hits, expires_at`,
        [key, now, windowMs],
      );
      const { hits, expires_at } = rows[0]!;
      // A new window: also drop the rows whose window ended.
      if (hits === 1) await pool.query(`DELETE FROM ${limits} WHERE expires_at <= $1`, [now]);
      return { count: hits, resetAt: Number(expires_at) };
    },
    async close() {},
  };
}
