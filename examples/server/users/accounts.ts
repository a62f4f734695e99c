import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { assertUsername, UnauthorizedError, ValidationError } from '../../../src/index.js';
import type { StoredToken, StoredUser, UserRecords } from './records.js';
import { createSignInLimits, type SignInLimitOptions } from './sign-in-limits.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;
const DAY_MS = 86_400_000;
/** A used token's expiry is written at most this often (not on every request). */
const RENEW_EVERY_MS = 60_000;
/** What a refused account creation hashes, so it costs the time a sign-in does. */
const DUMMY_SALT = randomBytes(16);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashPassword = (password: string, salt: Buffer) => scryptAsync(password, salt, KEY_LENGTH, SCRYPT);

function assertPassword(password: unknown, field = 'password'): asserts password is string {
  if (typeof password !== 'string' || password.length < 8 || password.length > 200) {
    throw new ValidationError(field, 'must be 8–200 characters');
  }
}

export interface UserStoreOptions {
  /** A token not used for this many days no longer signs in; each use restarts the count. @default 30 */
  sessionDays?: number;
  limits?: SignInLimitOptions;
  /** The clock of sessions and limits (tests move it). @default Date.now */
  now?: () => number;
}

export interface Session {
  token: string;
  username: string;
  created: boolean;
}

/**
 * Sign-in of the reference server over a {@link UserRecords} store (SQLite, PostgreSQL or Redis:
 * the engine's database). Passwords are hashed with scrypt and a random salt per user and compared
 * in constant time; tokens are 32 random bytes, stored only as their SHA-256, so a copy of the
 * database signs nobody in. Tokens expire `sessionDays` after their last use; wrong passwords back
 * off per username and per address, and account creation is capped per address (see
 * `sign-in-limits.ts`). Every path that answers after a password check runs scrypt exactly once,
 * so an unknown username costs what a known one does.
 */
export function createUserStore(records: UserRecords, options: UserStoreOptions = {}) {
  const now = options.now ?? Date.now;
  const sessionMs = (options.sessionDays ?? 30) * DAY_MS;
  const limits = createSignInLimits(records, options.limits);

  async function newToken(username: string): Promise<{ token: string; stored: StoredToken }> {
    const token = randomBytes(32).toString('base64url');
    const at = now();
    return { token, stored: { tokenHash: sha256(token), username, createdAt: at, expiresAt: at + sessionMs } };
  }

  /** Checks the user's password under the limits: a 429 while in backoff, a 401 when wrong. */
  async function checkPassword(user: StoredUser, password: string, address: string): Promise<void> {
    await limits.takeAttempt(user.username, address, now());
    const hash = await hashPassword(password, user.salt);
    if (!timingSafeEqual(hash, user.hash)) throw new UnauthorizedError('Wrong password for this username');
    await limits.succeeded(user.username, address);
  }

  return {
    /**
     * Signs in, creating the user on first use. Returns the new token and whether the user is new.
     * A wrong password for an existing user is a 401; a username or address in its backoff, or an
     * address over its hourly account creations, a 429 with `retry_after`.
     */
    async signIn(username: unknown, password: unknown, address = 'unknown'): Promise<Session> {
      if (typeof username !== 'string') throw new ValidationError('username', 'is required');
      assertUsername(username);
      assertPassword(password);
      let created = false;
      let user = await records.findUser(username);
      if (!user) {
        try {
          await limits.takeSignup(address, now());
        } catch (error) {
          await hashPassword(password, DUMMY_SALT);
          throw error;
        }
        const salt = randomBytes(16);
        const hash = await hashPassword(password, salt);
        // Two first sign-ins at once: one insert wins, the other checks against it below.
        ({ user, created } = await records.createUser({ username, salt, hash, createdAt: now() }));
      }
      if (!created) await checkPassword(user, password, address);
      const { token, stored } = await newToken(username);
      await records.addToken(stored);
      return { token, username, created };
    },
    /** The user of a bearer token, or null (unknown, signed out or expired); renews its expiry. */
    async authenticate(request: Request): Promise<{ username: string } | null> {
      const token = bearerToken(request);
      if (!token) return null;
      const at = now();
      return records.findToken(sha256(token), at, { expiresAt: at + sessionMs, ifUsedBefore: at - RENEW_EVERY_MS });
    },
    async signOut(token: string): Promise<void> {
      await records.deleteToken(sha256(token));
    },
    /** Revokes every token of the user (the caller's too). */
    async signOutAll(username: string): Promise<void> {
      await records.deleteUserTokens(username);
    },
    /**
     * Changes the password after checking the current one (a wrong one counts against the limits
     * like a sign-in), revokes every token of the user, the caller's too, and answers one new token
     * for the caller: whoever else held a token, a copy of the caller's included, is signed out.
     */
    async changePassword(username: string, currentPassword: unknown, newPassword: unknown, address = 'unknown'): Promise<Session> {
      if (typeof currentPassword !== 'string') throw new ValidationError('current_password', 'is required');
      assertPassword(newPassword, 'new_password');
      const user = await records.findUser(username);
      if (!user) throw new UnauthorizedError('No such user');
      await checkPassword(user, currentPassword, address);
      const salt = randomBytes(16);
      const hash = await hashPassword(newPassword, salt);
      const { token, stored } = await newToken(username);
      const changed = await records.changePassword({ username, expectedHash: user.hash, salt, hash, token: stored });
      if (!changed) throw new UnauthorizedError('The password changed meanwhile: sign in again');
      return { token, username, created: false };
    },
    close(): Promise<void> {
      return records.close();
    },
  };
}

/** The bearer token of a request when it has the shape of one of ours. */
export function bearerToken(request: Request): string | null {
  return /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(request.headers.get('authorization') ?? '')?.[1] ?? null;
}

export type UserStore = ReturnType<typeof createUserStore>;
