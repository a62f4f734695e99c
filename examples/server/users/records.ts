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
 * The layout leaves room for what comes next without reshaping a table: tokens carry
 * `created_at`, `last_used_at` and `expires_at` and are indexed (SQL) or listed (Redis) per user,
 * for a sliding expiry and a revoke-all; the SQL stores apply versioned migrations of their own
 * (`server_schema_migrations`), so a table of per-address sign-in counters is one more entry.
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
  /** The user of a token hash, or null when it is unknown or expired at `now`. */
  findToken(tokenHash: string, now: number): Promise<{ username: string } | null>;
  deleteToken(tokenHash: string): Promise<void>;
  /** Closes what the store opened (not a pool or client it was given). */
  close(): Promise<void>;
}
