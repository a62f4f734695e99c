import { script } from './script.js';

/**
 * Compare-and-set end of a task: `processing` with this claim number → `completed` (progress and
 * result as given) or `failed` (progress kept, error stored); bumps one counter once and closes the
 * batch when every task has ended.
 *
 * KEYS[1] batch hash, KEYS[2] the user's open batches (zset)
 * ARGV[1] task index, ARGV[2] attempts, ARGV[3] 'c' to complete or 'f' to fail,
 * ARGV[4] result JSON (complete) or error text (fail), ARGV[5] now, ARGV[6] the batch's zset member,
 * ARGV[7] progress of the completed task ('' on fail)
 *
 * Returns {fixed part, state, total, completed, failed, status, createdAt, updatedAt}, or nil
 * when the task is not that claim any more (nothing written).
 */
export const endTask = script(
  'EndTask',
  2,
  `
local field = 't' .. ARGV[1]
local raw = redis.call('HGET', KEYS[1], field)
if not raw then return nil end
local t = cjson.decode(raw)
if t[1] ~= 'processing' or t[3] ~= tonumber(ARGV[2]) then return nil end
local counter
if ARGV[3] == 'c' then
  t[1] = 'completed'
  t[2] = tonumber(ARGV[7])
  t[9] = cjson.decode(ARGV[4])
  t[8] = cjson.null
  counter = 'c'
else
  t[1] = 'failed'
  t[8] = ARGV[4]
  counter = 'f'
end
t[5] = tonumber(ARGV[5])
t[6] = cjson.null
local state = cjson.encode(t)
redis.call('HSET', KEYS[1], field, state, 'ua', ARGV[5])
redis.call('HINCRBY', KEYS[1], counter, 1)
local b = redis.call('HMGET', KEYS[1], 'n', 'c', 'f', 's', 'ca')
if tonumber(b[2]) + tonumber(b[3]) >= tonumber(b[1]) then
  b[4] = 'completed'
  redis.call('HSET', KEYS[1], 's', 'completed')
  redis.call('ZREM', KEYS[2], ARGV[6])
end
return {redis.call('HGET', KEYS[1], 'p' .. ARGV[1]), state, b[1], b[2], b[3], b[4], b[5], ARGV[5]}
`,
);
