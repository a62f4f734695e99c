import Database from 'better-sqlite3';
import { type LimitRow, type StoredUser, takeAttemptOn, type UserRecords } from './records.js';

/** Versioned: entry n brings the tables from version n to n + 1. Append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE server_users (
     username TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL, created_at INTEGER NOT NULL
   );
   CREATE TABLE server_tokens (
     token_hash TEXT PRIMARY KEY,
     username TEXT NOT NULL REFERENCES server_users(username),
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL,
     expires_at INTEGER
   );
   CREATE INDEX server_tokens_by_user ON server_tokens (username);`,
  `CREATE TABLE server_limits (
     limit_key TEXT PRIMARY KEY, hits INTEGER NOT NULL, blocked_until INTEGER NOT NULL, expires_at INTEGER NOT NULL
   );
   CREATE INDEX server_limits_by_expiry ON server_limits (expires_at);`,
];

/**
 * Users and tokens as tables in the engine's SQLite file (its own connection to the same file,
 * WAL): `server_users` and `server_tokens`, migrated in one `BEGIN IMMEDIATE` transaction, so
 * processes opening the file at once wait for one another.
 */
export function openSqliteUserRecords(path: string, busyTimeoutMs = 5000): UserRecords {
  const db = new Database(path, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS server_schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const current = (db.prepare('SELECT max(version) AS v FROM server_schema_migrations').get() as { v: number | null }).v ?? 0;
    if (current > MIGRATIONS.length) throw new Error(`the server's user tables are at version ${current}, newer than this server's`);
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
      db.prepare('INSERT INTO server_schema_migrations (version, applied_at) VALUES (?, ?)').run(version + 1, Date.now());
    }
  }).immediate();

  type Row = { username: string; salt: Buffer; hash: Buffer; created_at: number };
  const toUser = (row: Row): StoredUser => ({ username: row.username, salt: row.salt, hash: row.hash, createdAt: row.created_at });
  const findUser = db.prepare<[string], Row>('SELECT username, salt, hash, created_at FROM server_users WHERE username = ?');
  const insertUser = db.prepare(
    'INSERT INTO server_users (username, salt, hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING',
  );
  const insertToken = db.prepare(
    'INSERT INTO server_tokens (token_hash, username, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const findToken = db.prepare<[string, number], { username: string; last_used_at: number }>(
    'SELECT username, last_used_at FROM server_tokens WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const renewToken = db.prepare('UPDATE server_tokens SET last_used_at = ?, expires_at = ? WHERE token_hash = ? AND last_used_at < ?');
  const deleteToken = db.prepare('DELETE FROM server_tokens WHERE token_hash = ?');
  const deleteUserTokens = db.prepare('DELETE FROM server_tokens WHERE username = ?');
  const setPassword = db.prepare('UPDATE server_users SET salt = ?, hash = ? WHERE username = ? AND hash = ?');
  const findLimit = db.prepare<[string], { hits: number; blocked_until: number; expires_at: number }>(
    'SELECT hits, blocked_until, expires_at FROM server_limits WHERE limit_key = ?',
  );
  const writeLimit = db.prepare(
    `INSERT INTO server_limits (limit_key, hits, blocked_until, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (limit_key) DO UPDATE SET hits = excluded.hits, blocked_until = excluded.blocked_until, expires_at = excluded.expires_at`,
  );
  const refund = db.prepare('UPDATE server_limits SET hits = max(hits - 1, 0) WHERE limit_key = ?');
  const clearLimit = db.prepare('DELETE FROM server_limits WHERE limit_key = ?');
  const purgeLimits = db.prepare('DELETE FROM server_limits WHERE expires_at <= ?');
  const readLimit = (key: string): LimitRow | null => {
    const row = findLimit.get(key);
    return row ? { hits: row.hits, blockedUntil: row.blocked_until, expiresAt: row.expires_at } : null;
  };
  // Read, decide and write in one IMMEDIATE transaction: other processes on the file wait.
  const takeAttempt = db.transaction((key: string, now: number, policy: Parameters<UserRecords['takeAttempt']>[2]) => {
    const { waitMs, row } = takeAttemptOn(readLimit(key), now, policy);
    if (waitMs === 0) writeLimit.run(key, row.hits, row.blockedUntil, row.expiresAt);
    return waitMs;
  });
  const hitCounter = db.transaction((key: string, now: number, windowMs: number) => {
    const row = readLimit(key);
    const alive = row !== null && row.expiresAt > now;
    if (!alive) purgeLimits.run(now); // a new window: also drop the rows whose window ended
    const next = { hits: (alive ? row.hits : 0) + 1, expiresAt: alive ? row.expiresAt : now + windowMs };
    writeLimit.run(key, next.hits, 0, next.expiresAt);
    return { count: next.hits, resetAt: next.expiresAt };
  });
  const changePassword = db.transaction((change: Parameters<UserRecords['changePassword']>[0]) => {
    if (setPassword.run(change.salt, change.hash, change.username, change.expectedHash).changes !== 1) return false;
    deleteUserTokens.run(change.username);
    const t = change.token;
    insertToken.run(t.tokenHash, t.username, t.createdAt, t.createdAt, t.expiresAt);
    return true;
  });

  return {
    async createUser(user) {
      const created = insertUser.run(user.username, user.salt, user.hash, user.createdAt).changes === 1;
      return { user: toUser(findUser.get(user.username)!), created };
    },
    async findUser(username) {
      const row = findUser.get(username);
      return row ? toUser(row) : null;
    },
    async addToken(token) {
      insertToken.run(token.tokenHash, token.username, token.createdAt, token.createdAt, token.expiresAt);
    },
    async findToken(tokenHash, now, renew) {
      const row = findToken.get(tokenHash, now);
      if (!row) return null;
      // Only a token due for renewal takes the write lock.
      if (renew && row.last_used_at < renew.ifUsedBefore) renewToken.run(now, renew.expiresAt, tokenHash, renew.ifUsedBefore);
      return { username: row.username };
    },
    async deleteToken(tokenHash) {
      deleteToken.run(tokenHash);
    },
    async deleteUserTokens(username) {
      return deleteUserTokens.run(username).changes;
    },
    async changePassword(change) {
      return changePassword.immediate(change);
    },
    async takeAttempt(key, now, policy) {
      return takeAttempt.immediate(key, now, policy);
    },
    async refundAttempt(key) {
      refund.run(key);
    },
    async clearAttempts(key) {
      clearLimit.run(key);
    },
    async hitCounter(key, now, windowMs) {
      return hitCounter.immediate(key, now, windowMs);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
