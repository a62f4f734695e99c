import { script } from './script.js';

/**
 * Claims an idempotency key: the first call stores it as pending and answers 'new'; later calls
 * answer the stored state.
 *
 * KEYS[1] the key's hash (s = state, fp = fingerprint, r = response JSON)
 * ARGV[1] fingerprint
 *
 * Returns {'new'} | {'pending', fingerprint} | {'done', fingerprint, response JSON}
 */
export const beginIdempotent = script(
  'BeginIdempotent',
  1,
  `
local s = redis.call('HMGET', KEYS[1], 's', 'fp', 'r')
if not s[1] then
  redis.call('HSET', KEYS[1], 's', 'pending', 'fp', ARGV[1])
  return {'new'}
end
return s
`,
);

/**
 * Stores the response of a request that began with BeginIdempotent.
 *
 * KEYS[1] the key's hash; ARGV[1] response JSON
 * Returns 1 when stored, 0 when the key was not begun (nothing written).
 */
export const completeIdempotent = script(
  'CompleteIdempotent',
  1,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 's', 'done', 'r', ARGV[1])
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
