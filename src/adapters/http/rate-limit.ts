import { RateLimitedError } from '../../core/errors/rate-limited-error.js';

/** A fixed-window counter per user, kept in this process's memory. */
export function createRateLimiter(limit: { max: number; windowMs: number } | undefined, now: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>();
  return (username: string): void => {
    if (!limit) return;
    const at = now();
    let window = windows.get(username);
    if (!window || at - window.start >= limit.windowMs) {
      if (windows.size > 10_000) for (const [key, w] of windows) if (at - w.start >= limit.windowMs) windows.delete(key);
      window = { start: at, count: 0 };
      windows.set(username, window);
    }
    window.count += 1;
    if (window.count > limit.max) {
      throw new RateLimitedError('Too many generation requests: wait a moment and try again', Math.ceil((window.start + limit.windowMs - at) / 1000));
    }
  };
}
