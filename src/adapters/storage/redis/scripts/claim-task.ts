import { script } from './script.js';

/**
 * Compare-and-set claim of a task: `pending` (or `processing` with a given claim number) →
 * `processing`, attempts + 1, progress raised to the value given (never lowered); the batch leaves `pending`.
 *
 * KEYS[1] batch hash
 * ARGV[1] task index, ARGV[2] expected status, ARGV[3] expected attempts ('' for any),
 * ARGV[4] now, ARGV[5] lease expiry, ARGV[6] progress
 *
 * Returns {fixed part, state} of the claimed task, or nil when the task is missing or not as expected.
 */
export const claimTask = script(
  'ClaimTask',
  1,
  `
local field = 't' .. ARGV[1]
local h = redis.call('HMGET', KEYS[1], field, 's', 'p' .. ARGV[1])
local raw = h[1]
if not raw then return nil end
local t = cjson.decode(raw)
if t[1] ~= ARGV[2] then return nil end
if ARGV[3] ~= '' and t[3] ~= tonumber(ARGV[3]) then return nil end
t[1] = 'processing'
t[3] = t[3] + 1
local progress = tonumber(ARGV[6])
if t[2] < progress then t[2] = progress end
t[4] = tonumber(ARGV[4])
t[6] = tonumber(ARGV[5])
local state = cjson.encode(t)
if h[2] == 'pending' then
  redis.call('HSET', KEYS[1], field, state, 'ua', ARGV[4], 's', 'processing')
else
  redis.call('HSET', KEYS[1], field, state, 'ua', ARGV[4])
end
return {h[3], state}
`,
);
