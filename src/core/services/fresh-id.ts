import { isImageGenError } from '../errors/image-gen-error.js';
import type { IdClock } from '../ids.js';

/** How many times an id storage reports as taken is replaced by a later one before giving up. */
const MAX_RETRIES = 20;

/**
 * Writes something named by a timestamp id (`write` builds the id from the timestamp it gets).
 * When storage answers that the id is taken (`ConflictError`, reason `id_taken`: another process
 * used the same millisecond), the clock moves past it and `write` runs again with a later one.
 *
 * @param first the timestamp of the first try, when the caller already took one (it may have named
 *   other things after it); by default a new one from the clock.
 */
export async function withFreshId<T>(clock: IdClock, write: (timestamp: number) => Promise<T>, first = clock.next()): Promise<T> {
  let timestamp = first;
  for (let tries = 0; ; tries++) {
    try {
      return await write(timestamp);
    } catch (error) {
      if (!isIdTaken(error) || tries >= MAX_RETRIES) throw error;
      clock.skipPast(timestamp);
      timestamp = clock.next();
    }
  }
}

function isIdTaken(error: unknown): boolean {
  return isImageGenError(error) && error.code === 'conflict' && error.details.reason === 'id_taken';
}
