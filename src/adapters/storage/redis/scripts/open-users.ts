import { script } from './script.js';

/**
 * The global index of users who may have open batches (its own slot, `{open}`). It is a superset:
 * a user is added with a fresh token BEFORE the per-user script that opens a batch (or by that very
 * script, on a single Redis: CreateBatchIndexed, RetryTaskIndexed), and removed only by
 * PruneOpenUser when the token is unchanged since the user's open set was seen empty. So no open
 * batch is ever missing from recovery, whatever crashes between the two calls.
 *
 * TouchOpenUser
 * KEYS[1] users (zset user -> token), KEYS[2] token counter
 * ARGV[1] username
 * Returns the new token.
 */
export const touchOpenUser = script(
  'TouchOpenUser',
  2,
  `
local token = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], token, ARGV[1])
return token
`,
);

/** A Lua statement doing what TouchOpenUser does, for the scripts that enter the user themselves. */
export function touchOpenUserLua(users: string, token: string, username: string): string {
  return `redis.call('ZADD', ${users}, redis.call('INCR', ${token}), ${username})`;
}

/**
 * PruneOpenUser: removes a user from the index if nobody touched it since `token` was read.
 *
 * KEYS[1] users (zset)
 * ARGV[1] username, ARGV[2] the token read before the user's open set was found empty
 * Returns 1 when removed, 0 otherwise.
 */
export const pruneOpenUser = script(
  'PruneOpenUser',
  1,
  `
local token = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not token or tonumber(token) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`,
);
