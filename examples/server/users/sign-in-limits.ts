import { RateLimitedError } from '../../../src/index.js';
import type { BackoffPolicy, UserRecords } from './records.js';

/** How hard the reference server makes guessing passwords and creating accounts. */
export interface SignInLimitOptions {
  /** Wrong passwords for one username before the backoff starts. @default 5 */
  freeFailuresPerUsername?: number;
  /** Wrong passwords from one address (any usernames) before the backoff starts. @default 20 */
  freeFailuresPerAddress?: number;
  /** The first delay of the backoff; each further wrong password doubles it. @default 1000 */
  baseDelayMs?: number;
  /** @default 900000 (15 minutes) */
  maxDelayMs?: number;
  /** A counter with no wrong password for this long starts over. @default 3600000 (1 hour) */
  forgetAfterMs?: number;
  /** Accounts one address may create per hour (a fixed window from its first one). @default 10 */
  signupsPerHour?: number;
}

const HOUR_MS = 3_600_000;

/**
 * The sign-in limits over the counters of {@link UserRecords} (the users' database, so every
 * process shares them). An attempt is counted before the password is checked, so parallel guesses
 * are counted too: a success clears its username's counter and gives the address its attempt back;
 * a success does not clear the address counter, or an attacker with an account of their own could
 * clear it between guesses at other usernames.
 */
export function createSignInLimits(records: UserRecords, options: SignInLimitOptions = {}) {
  const common = {
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 900_000,
    forgetAfterMs: options.forgetAfterMs ?? HOUR_MS,
  };
  const perUsername: BackoffPolicy = { ...common, freeAttempts: options.freeFailuresPerUsername ?? 5 };
  const perAddress: BackoffPolicy = { ...common, freeAttempts: options.freeFailuresPerAddress ?? 20 };
  const signupsPerHour = options.signupsPerHour ?? 10;
  const userKey = (username: string) => `fail:user:${username}`;
  const addressKey = (address: string) => `fail:addr:${address}`;
  const tooMany = (waitMs: number) =>
    new RateLimitedError('Too many wrong passwords: wait before trying again', Math.max(1, Math.ceil(waitMs / 1000)));

  return {
    /**
     * Counts a password check for the username and the address, or throws a `RateLimitedError`
     * (429, `Retry-After`) while either is in its backoff.
     */
    async takeAttempt(username: string, address: string, now: number): Promise<void> {
      const userWait = await records.takeAttempt(userKey(username), now, perUsername);
      if (userWait > 0) throw tooMany(userWait);
      const addressWait = await records.takeAttempt(addressKey(address), now, perAddress);
      if (addressWait > 0) {
        await records.refundAttempt(userKey(username));
        throw tooMany(addressWait);
      }
    },
    /** The password was right: the username starts over, the address gets its attempt back. */
    async succeeded(username: string, address: string): Promise<void> {
      await Promise.all([records.clearAttempts(userKey(username)), records.refundAttempt(addressKey(address))]);
    },
    /** Counts one account creation by the address; throws a `RateLimitedError` over the hourly cap. */
    async takeSignup(address: string, now: number): Promise<void> {
      const { count, resetAt } = await records.hitCounter(`signup:addr:${address}`, now, HOUR_MS);
      if (count > signupsPerHour) {
        throw new RateLimitedError(
          'Too many new accounts from this address: try again later',
          Math.max(1, Math.ceil((resetAt - now) / 1000)),
        );
      }
    },
  };
}

export type SignInLimits = ReturnType<typeof createSignInLimits>;
