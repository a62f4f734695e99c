import Database from 'better-sqlite3';
import type { StoredUser, UserRecords } from './records.js';

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
  const findToken = db.prepare<[string, number], { username: string }>(
    'SELECT username FROM server_tokens WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const deleteToken = db.prepare('DELETE FROM server_tokens WHERE token_hash = ?');

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
    async findToken(tokenHash, now) {
      return findToken.get(tokenHash, now) ?? null;
    },
    async deleteToken(tokenHash) {
      deleteToken.run(tokenHash);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
