import type { Redis } from 'ioredis';
import type { UserRecords } from './records.js';

// Creates the user hash unless it exists, in one step: of two concurrent first sign-ins one wins.
const CREATE_USER = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'salt', ARGV[1], 'hash', ARGV[2], 'created_at', ARGV[3])
return 1`;

/**
 * The user of a token unless it is missing or expired; renews it (sliding expiry) when due.
 * KEYS[1] the token hash. ARGV: now, the new expires_at ('' = no renewal), renew if last used before.
 * Returns the username, or false.
 */
const FIND_TOKEN = `
local f = redis.call('HMGET', KEYS[1], 'username', 'expires_at', 'last_used_at')
local now = tonumber(ARGV[1])
if not f[1] or (f[2] and tonumber(f[2]) <= now) then return false end
if ARGV[2] ~= '' and tonumber(f[3]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1], 'expires_at', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) - now)
end
return f[1]`;

/**
 * Deletes the user's tokens. KEYS[1] the user's set of token hashes; ARGV[1] the token key prefix.
 * Returns how many token hashes were deleted. (The token keys are not in KEYS, as in addToken's
 * MULTI: not for Redis Cluster.)
 */
const DELETE_USER_TOKENS = `
local n = 0
for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('DEL', ARGV[1] .. h) end
redis.call('DEL', KEYS[1])
return n`;

/**
 * A password change: compare-and-set of the hash, every token deleted, one token added.
 * KEYS[1] the user hash, KEYS[2] the user's token set. ARGV: token key prefix, expected hash, salt,
 * hash (hex), new token hash, username, created_at, expires_at ('' = never). Returns 1, or 0 when
 * the stored hash was not the expected one (nothing written).
 */
const CHANGE_PASSWORD = `
if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'salt', ARGV[3], 'hash', ARGV[4])
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[1] .. h) end
redis.call('DEL', KEYS[2])
local token = ARGV[1] .. ARGV[5]
redis.call('HSET', token, 'username', ARGV[6], 'created_at', ARGV[7], 'last_used_at', ARGV[7])
if ARGV[8] ~= '' then
  redis.call('HSET', token, 'expires_at', ARGV[8])
  redis.call('PEXPIRE', token, tonumber(ARGV[8]) - tonumber(ARGV[7]))
end
redis.call('SADD', KEYS[2], ARGV[5])
return 1`;

/**
 * takeAttemptOn (records.ts) in one step. KEYS[1] the counter hash. ARGV: now, freeAttempts,
 * baseDelayMs, maxDelayMs, forgetAfterMs. Returns 0 when taken, else the ms to wait.
 */
const TAKE_ATTEMPT = `
local now, free, base, max, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local f = redis.call('HMGET', KEYS[1], 'hits', 'blocked_until', 'expires_at')
local alive = f[3] and tonumber(f[3]) > now
if alive and tonumber(f[2]) > now then return tonumber(f[2]) - now end
local hits = (alive and tonumber(f[1]) or 0) + 1
local delay = 0
if hits >= free then delay = math.min(max, base * 2 ^ math.min(hits - free, 40)) end
redis.call('HSET', KEYS[1], 'hits', hits, 'blocked_until', string.format('%d', now + delay), 'expires_at', string.format('%d', now + forget))
redis.call('PEXPIRE', KEYS[1], forget)
return 0`;

/** Gives one attempt back. KEYS[1] the counter hash. */
const REFUND_ATTEMPT = `
local hits = tonumber(redis.call('HGET', KEYS[1], 'hits'))
if hits and hits > 0 then redis.call('HSET', KEYS[1], 'hits', hits - 1) end
return 0`;

/**
 * A fixed-window counter. KEYS[1] the counter hash. ARGV: now, windowMs. Returns { count, resetAt }.
 */
const HIT_COUNTER = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local f = redis.call('HMGET', KEYS[1], 'hits', 'expires_at')
local hits, expires = 1, now + window
if f[2] and tonumber(f[2]) > now then hits, expires = tonumber(f[1]) + 1, tonumber(f[2]) end
redis.call('HSET', KEYS[1], 'hits', hits, 'expires_at', string.format('%d', expires))
redis.call('PEXPIRE', KEYS[1], expires - now)
return { hits, string.format('%d', expires) }`;

/**
 * Users and tokens as hashes in the engine's Redis, on the engine's client, under its prefix:
 * `{prefix}{username}:srv:user` (salt, hash, created_at; the user's hash tag, like the ledger's
 * keys), `{prefix}{username}:srv:tokens` (the set of the user's token hashes, for a revoke-all) and
 * `{prefix}srv:token:{sha256}` (username, created_at, last_used_at, expires_at; it expires with
 * the token) and `{prefix}srv:limit:{key}` (the counters of the sign-in limits). Every write is one
 * Lua script or MULTI. The client stays the caller's.
 */
export function openRedisUserRecords(redis: Redis, prefix: string): UserRecords {
  const userKey = (username: string) => `${prefix}{${username}}:srv:user`;
  const userTokensKey = (username: string) => `${prefix}{${username}}:srv:tokens`;
  const tokenKey = (tokenHash: string) => `${prefix}srv:token:${tokenHash}`;
  const limitKey = (key: string) => `${prefix}srv:limit:${key}`;

  async function findUser(username: string) {
    const fields = await redis.hmget(userKey(username), 'salt', 'hash', 'created_at');
    const [salt, hash, createdAt] = fields;
    if (!salt || !hash || !createdAt) return null;
    return { username, salt: Buffer.from(salt, 'hex'), hash: Buffer.from(hash, 'hex'), createdAt: Number(createdAt) };
  }

  return {
    async createUser(user) {
      const created =
        (await redis.eval(CREATE_USER, 1, userKey(user.username), user.salt.toString('hex'), user.hash.toString('hex'), user.createdAt)) ===
        1;
      return { user: (await findUser(user.username))!, created };
    },
    findUser,
    async addToken(token) {
      const fields: Record<string, string | number> = {
        username: token.username,
        created_at: token.createdAt,
        last_used_at: token.createdAt,
      };
      if (token.expiresAt !== null) fields.expires_at = token.expiresAt;
      const multi = redis.multi().hset(tokenKey(token.tokenHash), fields);
      if (token.expiresAt !== null) multi.pexpire(tokenKey(token.tokenHash), Math.max(1, token.expiresAt - token.createdAt));
      const results = await multi.sadd(userTokensKey(token.username), token.tokenHash).exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('Redis discarded the token write');
    },
    async findToken(tokenHash, now, renew) {
      const username = (await redis.eval(
        FIND_TOKEN,
        1,
        tokenKey(tokenHash),
        now,
        renew ? renew.expiresAt : '',
        renew ? renew.ifUsedBefore : 0,
      )) as string | null;
      return username ? { username } : null;
    },
    async deleteToken(tokenHash) {
      const username = await redis.hget(tokenKey(tokenHash), 'username');
      const multi = redis.multi().del(tokenKey(tokenHash));
      if (username) multi.srem(userTokensKey(username), tokenHash);
      await multi.exec();
    },
    async deleteUserTokens(username) {
      return (await redis.eval(DELETE_USER_TOKENS, 1, userTokensKey(username), tokenKey(''))) as number;
    },
    async changePassword({ username, expectedHash, salt, hash, token }) {
      const changed = await redis.eval(
        CHANGE_PASSWORD,
        2,
        userKey(username),
        userTokensKey(username),
        tokenKey(''),
        expectedHash.toString('hex'),
        salt.toString('hex'),
        hash.toString('hex'),
        token.tokenHash,
        username,
        token.createdAt,
        token.expiresAt ?? '',
      );
      return changed === 1;
    },
    async takeAttempt(key, now, policy) {
      const { freeAttempts, baseDelayMs, maxDelayMs, forgetAfterMs } = policy;
      return (await redis.eval(TAKE_ATTEMPT, 1, limitKey(key), now, freeAttempts, baseDelayMs, maxDelayMs, forgetAfterMs)) as number;
    },
    async refundAttempt(key) {
      await redis.eval(REFUND_ATTEMPT, 1, limitKey(key));
    },
    async clearAttempts(key) {
      await redis.del(limitKey(key));
    },
    async hitCounter(key, now, windowMs) {
      const [count, resetAt] = (await redis.eval(HIT_COUNTER, 1, limitKey(key), now, windowMs)) as [number, string];
      return { count, resetAt: Number(resetAt) };
    },
    async close() {},
  };
}
