import type { Redis } from 'ioredis';
import type { UserRecords } from './records.js';

// Creates the user hash unless it exists, in one step: of two concurrent first sign-ins one wins.
const CREATE_USER = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'salt', ARGV[1], 'hash', ARGV[2], 'created_at', ARGV[3])
return 1`;

/**
 * Users and tokens as hashes in the engine's Redis, on the engine's client, under its prefix:
 * `{prefix}{username}:srv:user` (salt, hash, created_at; the user's hash tag, like the ledger's
 * keys), `{prefix}{username}:srv:tokens` (the set of the user's token hashes, for a revoke-all) and
 * `{prefix}srv:token:{sha256}` (username, created_at, last_used_at, expires_at). The client
 * stays the caller's.
 */
export function openRedisUserRecords(redis: Redis, prefix: string): UserRecords {
  const userKey = (username: string) => `${prefix}{${username}}:srv:user`;
  const userTokensKey = (username: string) => `${prefix}{${username}}:srv:tokens`;
  const tokenKey = (tokenHash: string) => `${prefix}srv:token:${tokenHash}`;

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
      const results = await redis
        .multi()
        .hset(tokenKey(token.tokenHash), fields)
        .sadd(userTokensKey(token.username), token.tokenHash)
        .exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('Redis discarded the token write');
    },
    async findToken(tokenHash, now) {
      const [username, expiresAt] = await redis.hmget(tokenKey(tokenHash), 'username', 'expires_at');
      if (!username) return null;
      return expiresAt !== null && Number(expiresAt) <= now ? null : { username };
    },
    async deleteToken(tokenHash) {
      const username = await redis.hget(tokenKey(tokenHash), 'username');
      const multi = redis.multi().del(tokenKey(tokenHash));
      if (username) multi.srem(userTokensKey(username), tokenHash);
      await multi.exec();
    },
    async close() {},
  };
}
