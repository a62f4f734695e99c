/** A user as stored: the scrypt salt and hash of the password, never the password. */
export interface StoredUser {
  username: string;
  salt: Buffer;
  hash: Buffer;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** A bearer token as stored: only its SHA-256 (hex), so a copy of the database signs nobody in. */
export interface StoredToken {
  tokenHash: string;
  username: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /**
   * Epoch milliseconds after which the token no longer signs in; null = never. Every store already
   * refuses an expired token, so a sliding expiry only has to write this (and `last_used_at`).
   */
  expiresAt: number | null;
}

/**
 * Where the reference server keeps users and tokens: in the engine's own database (a table in
 * SQLite and PostgreSQL, hashes in Redis), never in a file beside it, so processes on several
 * hosts share them with nothing but that database. Every method is one atomic step.
 *
 * Tokens carry `created_at`, `last_used_at` and `expires_at` (sliding) and are indexed (SQL) or
 * listed (Redis) per user, for a revoke-all. The counters of the sign-in limits live beside them
 * (`server_limits`, or one hash per key in Redis), so every process shares them. The SQL stores
 * apply versioned migrations of their own (`server_schema_migrations`).
 */
export interface UserRecords {
  /**
   * Inserts the user unless the name is taken, atomically: of two concurrent calls for one name,
   * exactly one inserts. Answers the stored user (the existing one when the name was taken) and
   * whether this call inserted it.
   */
  createUser(user: StoredUser): Promise<{ user: StoredUser; created: boolean }>;
  findUser(username: string): Promise<StoredUser | null>;
  addToken(token: StoredToken): Promise<void>;
  /**
   * The user of a token hash, or null when it is unknown or expired at `now`. With `renew`, the
   * sliding expiry: a token found whose `last_used_at` is before `renew.ifUsedBefore` gets
   * `last_used_at = now` and `expires_at = renew.expiresAt` (so a busy token costs a write at most
   * once per interval, not one per request).
   */
  findToken(tokenHash: string, now: number, renew?: TokenRenewal): Promise<{ username: string } | null>;
  deleteToken(tokenHash: string): Promise<void>;
  /** Deletes every token of the user, atomically; answers how many there were. */
  deleteUserTokens(username: string): Promise<number>;
  /**
   * A password change, atomically: replaces salt and hash if the stored hash is still
   * `expectedHash` (compare-and-set: of two concurrent changes one wins), deletes every token of the
   * user and adds `token`. False, with nothing written, when the hash was no longer `expectedHash`.
   */
  changePassword(change: PasswordChange): Promise<boolean>;
  /**
   * Takes one attempt on the backoff counter `key`, atomically (see {@link takeAttemptOn}). Answers
   * 0 when taken, else the milliseconds until the counter lets the next attempt through.
   */
  takeAttempt(key: string, now: number, policy: BackoffPolicy): Promise<number>;
  /** Gives one attempt back (it succeeded), keeping any block; an unknown key is left alone. */
  refundAttempt(key: string): Promise<void>;
  /** Forgets the counter `key`. */
  clearAttempts(key: string): Promise<void>;
  /**
   * Adds one to the fixed-window counter `key`, atomically: a window of `windowMs` opens at the
   * first hit; a hit at or after its end opens a new one. Answers the count and when it ends.
   */
  hitCounter(key: string, now: number, windowMs: number): Promise<{ count: number; resetAt: number }>;
  /** Closes what the store opened (not a pool or client it was given). */
  close(): Promise<void>;
}

export interface TokenRenewal {
  /** The new `expires_at`. */
  expiresAt: number;
  /** Renew only when the token was last used (renewed) before this. */
  ifUsedBefore: number;
}

export interface PasswordChange {
  username: string;
  expectedHash: Buffer;
  salt: Buffer;
  hash: Buffer;
  /** The one token the user keeps: issued to the caller of the change. */
  token: StoredToken;
}

/** An exponential backoff of attempts (wrong passwords per username or per address). */
export interface BackoffPolicy {
  /** Attempts before the first delay. */
  freeAttempts: number;
  /** The first delay; each further attempt doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A counter with no attempt for this long starts over. */
  forgetAfterMs: number;
}

/** A counter of the sign-in limits as stored (one table or hash per key). */
export interface LimitRow {
  hits: number;
  /** Epoch ms before which no attempt is taken; 0 = none. */
  blockedUntil: number;
  /** Epoch ms from which the row counts as absent. */
  expiresAt: number;
}

/**
 * The rule of {@link UserRecords.takeAttempt}, for the stores that read the row, decide here and
 * write it back in one transaction: while `blockedUntil` is ahead the attempt is refused and the
 * row unchanged; else it counts (an expired row starts over), and from the `freeAttempts`-th on it
 * blocks the next one for `baseDelayMs × 2^(hits − freeAttempts)`, at most `maxDelayMs`. The Redis
 * store runs the same rule in Lua.
 */
export function takeAttemptOn(row: LimitRow | null, now: number, policy: BackoffPolicy): { waitMs: number; row: LimitRow } {
  const alive = row !== null && row.expiresAt > now;
  if (alive && row.blockedUntil > now) return { waitMs: row.blockedUntil - now, row };
  const hits = (alive ? row.hits : 0) + 1;
  return { waitMs: 0, row: { hits, blockedUntil: now + backoffDelay(hits, policy), expiresAt: now + policy.forgetAfterMs } };
}

/** The delay after the `hits`-th attempt: 0 before `freeAttempts`, then doubling from `baseDelayMs`, capped. */
export function backoffDelay(hits: number, policy: BackoffPolicy): number {
  if (hits < policy.freeAttempts) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(hits - policy.freeAttempts, 40));
}
