import { RateLimitedError } from '../../core/errors/rate-limited-error.js';
import type { RateLimiter } from '../../core/ports/rate-limiter.js';

/** A fixed window per user in this process's memory, as a {@link RateLimiter}. */
export function createWindowRateLimiter(limit: { max: number; windowMs: number }, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async take(username, cost) {
      const at = now();
      let window = windows.get(username);
      if (!window || at - window.start >= limit.windowMs) {
        if (windows.size > 10_000) for (const [key, w] of windows) if (at - w.start >= limit.windowMs) windows.delete(key);
        window = { start: at, count: 0 };
        windows.set(username, window);
      }
      if (window.count + cost > limit.max) return { allowed: false, retryAfterMs: window.start + limit.windowMs - at };
      window.count += cost;
      return { allowed: true, remaining: limit.max - window.count };
    },
  };
}

/** The check the charging routes run: a refusal is a 429 with `retry_after`. */
export function rateCheck(option: { max: number; windowMs: number } | RateLimiter | undefined): (username: string) => Promise<void> {
  if (!option) return async () => {};
  const limiter = 'take' in option ? option : createWindowRateLimiter(option);
  return async (username) => {
    const decision = await limiter.take(username, 1);
    if (!decision.allowed) {
      throw new RateLimitedError(
        'Too many generation requests: wait a moment and try again',
        Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      );
    }
  };
}
