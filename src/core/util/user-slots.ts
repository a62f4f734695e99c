import { RateLimitedError } from '../errors/rate-limited-error.js';

/** At most `max` things per user at once in this process (open streams, generations in flight). */
export interface UserSlots {
  /** Takes a slot, or throws a `RateLimitedError` (429 with `retry_after`) when the user has `max`. Call the returned function once it ends (more calls do nothing). */
  take(username: string): () => void;
  /** The slots `username` holds now. */
  held(username: string): number;
}

/**
 * Per-process counters: with several processes a user may hold `max` in each. `max` is a whole
 * number of 1 or more, or `Infinity` for no ceiling.
 */
export function createUserSlots(option: string, max: number, refusal: { message: string; retryAfterSeconds: number }): UserSlots {
  if (max !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(max) || max < 1)) {
    throw new RangeError(`${option} must be a whole number of 1 or more, or Infinity`);
  }
  const counts = new Map<string, number>();
  return {
    take(username) {
      const count = counts.get(username) ?? 0;
      if (count >= max) throw new RateLimitedError(refusal.message, refusal.retryAfterSeconds);
      counts.set(username, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(username) ?? 1) - 1;
        if (left <= 0) counts.delete(username);
        else counts.set(username, left);
      };
    },
    held: (username) => counts.get(username) ?? 0,
  };
}
