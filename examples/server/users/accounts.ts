import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { assertUsername, UnauthorizedError, ValidationError } from '../../../src/index.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Users and bearer tokens of the reference server, in SQLite. Passwords are hashed with scrypt
 * and a random salt per user and compared in constant time; tokens are 32 random bytes, stored
 * only as their SHA-256, so a copy of the database signs nobody in.
 */
export function createUserStore(path: string) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username), created_at INTEGER NOT NULL);
  `);
  const findUser = db.prepare<[string], { salt: Buffer; hash: Buffer }>('SELECT salt, hash FROM users WHERE username = ?');
  const insertUser = db.prepare('INSERT OR IGNORE INTO users (username, salt, hash, created_at) VALUES (?, ?, ?, ?)');
  const insertToken = db.prepare('INSERT INTO tokens (token_hash, username, created_at) VALUES (?, ?, ?)');
  const findToken = db.prepare<[string], { username: string }>('SELECT username FROM tokens WHERE token_hash = ?');
  const deleteToken = db.prepare('DELETE FROM tokens WHERE token_hash = ?');

  return {
    /**
     * Signs in, creating the user on first use. Returns the new token and whether the user is new.
     * A wrong password for an existing user is a 401.
     */
    async signIn(username: unknown, password: unknown): Promise<{ token: string; username: string; created: boolean }> {
      if (typeof username !== 'string') throw new ValidationError('username', 'is required');
      assertUsername(username);
      if (typeof password !== 'string' || password.length < 8 || password.length > 200) {
        throw new ValidationError('password', 'must be 8–200 characters');
      }
      let created = false;
      let user = findUser.get(username);
      if (!user) {
        const salt = randomBytes(16);
        const hash = await scryptAsync(password, salt, KEY_LENGTH, SCRYPT);
        // Two first sign-ins at once: one insert wins, the other checks against it below.
        created = insertUser.run(username, salt, hash, Date.now()).changes === 1;
        user = findUser.get(username)!;
      }
      const hash = await scryptAsync(password, user.salt, KEY_LENGTH, SCRYPT);
      if (!timingSafeEqual(hash, user.hash)) throw new UnauthorizedError('Wrong password for this username');
      const token = randomBytes(32).toString('base64url');
      insertToken.run(sha256(token), username, Date.now());
      return { token, username, created };
    },
    /** The user of a bearer token, or null. */
    authenticate(request: Request): { username: string } | null {
      const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(request.headers.get('authorization') ?? '');
      if (!match) return null;
      const row = findToken.get(sha256(match[1]!));
      return row ? { username: row.username } : null;
    },
    signOut(token: string): void {
      deleteToken.run(sha256(token));
    },
    close(): void {
      db.close();
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
