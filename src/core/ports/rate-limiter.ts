/** The answer of a {@link RateLimiter}: allowed, or when to try again. */
export type RateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

/**
 * Limits how often one user may submit work. Asked before anything is charged or stored; a refusal
 * becomes `RateLimitedError` (429). The Redis token bucket shares one budget across processes.
 */
export interface RateLimiter {
  /** Takes `cost` tokens from `username`'s bucket when it holds that many. */
  take(username: string, cost: number): Promise<RateLimitDecision>;
}
