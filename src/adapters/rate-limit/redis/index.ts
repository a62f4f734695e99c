import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { ValidationError } from '../../../core/errors/validation-error.js';
import type { RateLimitDecision, RateLimiter } from '../../../core/ports/rate-limiter.js';

/**
 * Token bucket, checked and taken in one step. The clock is the Redis server's (`TIME`), so
 * processes on machines with skewed clocks share one fair budget.
 *
 * KEYS[1] the user's bucket (hash: t = tokens, at = last refill in ms)
 * ARGV[1] capacity, ARGV[2] tokens added per second, ARGV[3] cost
 * Returns { 1, tokens left (floor) } when taken, { 0, ms until enough tokens } when not.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local ttl = math.ceil(capacity / rate) + 1000
if tokens >= cost then
  tokens = tokens - cost
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return { 1, math.floor(tokens) }
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return { 0, math.ceil((cost - tokens) / rate) }
`;

export interface RedisRateLimiterOptions {
  /** An ioredis client you own, or options for one the limiter creates. */
  connection: Redis | Cluster | RedisOptions;
  /** Burst size: requests a user may make at once. */
  capacity: number;
  /** Sustained rate: tokens added back per second. */
  refillPerSecond: number;
  /** Key prefix (the username becomes the hash tag). @default 'igk:rl:' */
  prefix?: string;
}

/**
 * A per-user rate limit shared by every process on one Redis: a token bucket of `capacity`
 * refilled at `refillPerSecond`. Give it to `createEngine({ rateLimiter })`; a submit over the
 * limit answers `RateLimitedError` (429, with `retry_after`) before anything is charged.
 *
 * @example
 * const rateLimiter = createRedisRateLimiter({ connection: redis, capacity: 10, refillPerSecond: 0.5 });
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter & { close(): Promise<void> } {
  if (!(options.capacity >= 1)) throw new ValidationError('capacity', 'must be at least 1');
  if (!(options.refillPerSecond > 0)) throw new ValidationError('refillPerSecond', 'must be more than 0');
  const prefix = options.prefix ?? 'igk:rl:';
  const owned = !(options.connection instanceof Redis) && !isCluster(options.connection);
  const client = owned ? new Redis(options.connection as RedisOptions) : (options.connection as Redis | Cluster);
  const scripted = client as (Redis | Cluster) & { igkTakeTokens?: (key: string, ...args: number[]) => Promise<[number, number]> };
  if (typeof scripted.igkTakeTokens !== 'function') client.defineCommand('igkTakeTokens', { numberOfKeys: 1, lua: TAKE });

  return {
    async take(username: string, cost: number): Promise<RateLimitDecision> {
      const [ok, n] = await scripted.igkTakeTokens!(`${prefix}{${username}}`, options.capacity, options.refillPerSecond, cost);
      return ok === 1 ? { allowed: true, remaining: n } : { allowed: false, retryAfterMs: n };
    },
    async close() {
      if (owned) await (client as Redis).quit();
    },
  };
}

function isCluster(value: unknown): value is Cluster {
  return typeof value === 'object' && value !== null && 'isCluster' in value && (value as { isCluster: unknown }).isCluster === true;
}
