import { LEDGER_LUA } from './ledger-lua.js';
import { script } from './script.js';

/**
 * Compare-and-set end of a task: `processing` with this claim number → `completed` (progress and
 * result as given) or `failed` (progress kept, error stored, and the refund written when one is
 * asked for); bumps one counter once and closes the batch when every task has ended (completed,
 * failed or cancelled).
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys, KEYS[4] batch hash, KEYS[5] the user's open batches (zset),
 * KEYS[6] grants, KEYS[7] draws (see grants-lua)
 * ARGV[1] task index, ARGV[2] attempts, ARGV[3] 'c' to complete or 'f' to fail,
 * ARGV[4] result JSON (complete) or error text (fail), ARGV[5] now, ARGV[6] the batch's zset member,
 * ARGV[7] progress of the completed task ('' on fail), ARGV[8] refund entry request JSON ('' for none),
 * ARGV[9] the refund's reference (the task id); it gives back to the draws of the task's charge (see grants_task_charge)
 *
 * Returns {fixed part, state, total, completed, failed, status, createdAt, updatedAt, cancelled,
 * refund seq, refund entry, balance} (the last three '' without a refund), or nil when the task is
 * not that claim any more (nothing written).
 */
export const endTask = script(
  'EndTask',
  7,
  `${LEDGER_LUA}
${endLua('KEYS[4]', 'KEYS[5]')}
local rseq, rentry, rbalance = '', '', ''
if ARGV[8] ~= '' then
  local req = cjson.decode(ARGV[8])
  req[9] = grants_task_charge(KEYS[4], ARGV[1])
  local found = ledger_find(req)
  if found == nil then
    local w = ledger_write(req, ARGV[9])
    rseq, rentry = w[1], w[2]
  elseif found then
    rseq, rentry = found[1], found[2]
  end
  rbalance = ledger_balance()
end
return {b[7], state, b[1], b[2], b[3], b[4], b[5], ARGV[5], cancelled, rseq, rentry, rbalance}
`,
);

/**
 * EndTask without a refund, on the batch's keys alone (no journal): what completing a task takes.
 *
 * KEYS[1] batch hash, KEYS[2] the user's open batches (zset)
 * ARGV[1..7] as EndTask
 *
 * Returns {fixed part, state, total, completed, failed, status, createdAt, updatedAt, cancelled},
 * or nil when the task is not that claim any more (nothing written).
 */
export const completeTask = script(
  'CompleteTask',
  2,
  `${endLua('KEYS[1]', 'KEYS[2]')}
return {b[7], state, b[1], b[2], b[3], b[4], b[5], ARGV[5], cancelled}
`,
);

/** The compare-and-set end on the batch hash; leaves `state`, `b` (n c f s ca x, the fixed part) and `cancelled` set. */
function endLua(batch: string, open: string): string {
  return `
local field = 't' .. ARGV[1]
local raw = redis.call('HGET', ${batch}, field)
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
redis.call('HSET', ${batch}, field, state, 'ua', ARGV[5])
redis.call('HINCRBY', ${batch}, counter, 1)
local b = redis.call('HMGET', ${batch}, 'n', 'c', 'f', 's', 'ca', 'x', 'p' .. ARGV[1])
local cancelled = tonumber(b[6] or '0')
if tonumber(b[2]) + tonumber(b[3]) + cancelled >= tonumber(b[1]) then
  b[4] = 'completed'
  redis.call('HSET', ${batch}, 's', 'completed')
  redis.call('ZREM', ${open}, ARGV[6])
end`;
}
