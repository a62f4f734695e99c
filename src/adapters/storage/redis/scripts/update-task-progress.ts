import { script } from './script.js';

/**
 * Raises a task's progress to the value given (never lowers it), sets its provider request id and lease,
 * when the task is still `processing` with the given claim number.
 *
 * KEYS[1] batch hash
 * ARGV[1] task index, ARGV[2] attempts, ARGV[3] progress, ARGV[4] 1 to set the request id,
 * ARGV[5] request id ('' for none), ARGV[6] lease expiry ('' to keep), ARGV[7] now
 *
 * Returns 1 when written, 0 when the task is not that claim any more.
 */
export const updateTaskProgress = script(
  'UpdateTaskProgress',
  1,
  `
local field = 't' .. ARGV[1]
local raw = redis.call('HGET', KEYS[1], field)
if not raw then return 0 end
local t = cjson.decode(raw)
if t[1] ~= 'processing' or t[3] ~= tonumber(ARGV[2]) then return 0 end
local progress = tonumber(ARGV[3])
if progress > t[2] then t[2] = progress end
if ARGV[4] == '1' then
  if ARGV[5] == '' then t[7] = cjson.null else t[7] = ARGV[5] end
end
if ARGV[6] ~= '' then t[6] = tonumber(ARGV[6]) end
redis.call('HSET', KEYS[1], field, cjson.encode(t), 'ua', ARGV[7])
return 1
`,
);
