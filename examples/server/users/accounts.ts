import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { assertUsername, UnauthorizedError, ValidationError } from '../../../src/index.js';
import type { UserRecords } from './records.js';

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
 * Sign-in of the reference server over a {@link UserRecords} store (SQLite, PostgreSQL or Redis:
 * the engine's database). Passwords are hashed with scrypt and a random salt per user and compared
 * in constant time; tokens are 32 random bytes, stored only as their SHA-256, so a copy of the
 * database signs nobody in.
 */
export function createUserStore(records: UserRecords) {
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
      let user = await records.findUser(username);
      if (!user) {
        const salt = randomBytes(16);
        const hash = await scryptAsync(password, salt, KEY_LENGTH, SCRYPT);
        // Two first sign-ins at once: one insert wins, the other checks against it below.
        ({ user, created } = await records.createUser({ username, salt, hash, createdAt: Date.now() }));
      }
      const hash = await scryptAsync(password, user.salt, KEY_LENGTH, SCRYPT);
      if (!timingSafeEqual(hash, user.hash)) throw new UnauthorizedError('Wrong password for this username');
      const token = randomBytes(32).toString('base64url');
      await records.addToken({ tokenHash: sha256(token), username, createdAt: Date.now(), expiresAt: null });
      return { token, username, created };
    },
    /** The user of a bearer token, or null. */
    async authenticate(request: Request): Promise<{ username: string } | null> {
      const match = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(request.headers.get('authorization') ?? '');
      if (!match) return null;
      return records.findToken(sha256(match[1]!), Date.now());
    },
    async signOut(token: string): Promise<void> {
      await records.deleteToken(sha256(token));
    },
    close(): Promise<void> {
      return records.close();
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
