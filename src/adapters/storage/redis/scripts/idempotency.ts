import { script } from './script.js';

/**
 * Claims an idempotency key: a call that finds it absent, expired (done, `x` <= now) or stale
 * (pending, begun `t` at least ARGV[3] ms before now) stores it as pending and answers 'new';
 * other calls answer the stored state. Expiry is judged on the callers' clock (ARGV[2]); the key's
 * Redis TTL only frees memory, and is longer than the logical window.
 *
 * KEYS[1] the key's hash (s = state, fp = fingerprint, r = response JSON, t = began at, x = expires at)
 * ARGV[1] fingerprint
 * ARGV[2] now (ms)
 * ARGV[3] staleAfterMs, or '' (a pending key never goes stale)
 * ARGV[4] TTL of the pending key in ms, or '' (none)
 *
 * Returns {'new'} | {'pending', fingerprint} | {'done', fingerprint, response JSON}
 */
export const beginIdempotent = script(
  'BeginIdempotent',
  1,
  `
local s = redis.call('HMGET', KEYS[1], 's', 'fp', 'r', 't', 'x')
local now = tonumber(ARGV[2])
local live = false
if s[1] == 'done' then
  live = (not s[5]) or tonumber(s[5]) > now
elseif s[1] then
  live = ARGV[3] == '' or tonumber(s[4] or '0') + tonumber(ARGV[3]) > now
end
if live then return {s[1], s[2], s[3]} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', 'pending', 'fp', ARGV[1], 't', ARGV[2])
if ARGV[4] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return {'new'}
`,
);

/**
 * Stores the response of a request that began with BeginIdempotent, replayed until ARGV[2]; the
 * hash is deleted by Redis ARGV[3] ms from now.
 *
 * KEYS[1] the key's hash; ARGV[1] response JSON; ARGV[2] expires at (ms, callers' clock); ARGV[3] retain ms
 * Returns 1 when stored, 0 when the key was not begun (nothing written).
 */
export const completeIdempotent = script(
  'CompleteIdempotent',
  1,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 's', 'done', 'r', ARGV[1], 'x', ARGV[2])
redis.call('HDEL', KEYS[1], 't')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * Forgets a key that is still pending, so the request can be tried again.
 *
 * KEYS[1] the key's hash
 * Returns 1 when forgotten, 0 when it was absent or done.
 */
export const abandonIdempotent = script(
  'AbandonIdempotent',
  1,
  `
if redis.call('HGET', KEYS[1], 's') ~= 'pending' then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
);
