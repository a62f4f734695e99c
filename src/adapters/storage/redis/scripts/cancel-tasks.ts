import { LEDGER_LUA } from './ledger-lua.js';
import { script } from './script.js';

/**
 * Cancels a batch's open tasks (`pending` or `processing`, any claim number) in one step: each
 * becomes `cancelled` (progress and request id kept, lease cleared, completedAt now), its refund is
 * written when one is asked for its former status (key `{prefix}{taskId}:{attempts}`; a key applied
 * before is not written again), the cancelled count `x` grows, and the batch closes when every task
 * has ended. A refund gives back to the draws of the task's charge (see grants_task_charge).
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys, KEYS[4] batch hash, KEYS[5] the user's open batches (zset),
 * KEYS[6] grants, KEYS[7] draws (see grants-lua)
 * ARGV[1] task index ('' for every task), ARGV[2] refund of a pending task JSON `[amount, keyPrefix, reason]` ('' for none),
 * ARGV[3] refund of a processing task (same form), ARGV[4] now, ARGV[5] the batch's zset member, ARGV[6] the batch id
 *
 * Returns {1, balance, closed (1|0), {index, was, refund seq|'', refund entry|'', ...}, HGETALL of the batch},
 * or {0} for an unknown batch.
 */
export const cancelTasks = script(
  'CancelTasks',
  7,
  `${LEDGER_LUA}
local n = tonumber(redis.call('HGET', KEYS[4], 'n'))
if not n then return {0} end
local refunds = {}
if ARGV[2] ~= '' then refunds['pending'] = cjson.decode(ARGV[2]) end
if ARGV[3] ~= '' then refunds['processing'] = cjson.decode(ARGV[3]) end
local now = tonumber(ARGV[4])
local first, last = 0, n - 1
if ARGV[1] ~= '' then first = tonumber(ARGV[1]); last = first end
local out = {}
local count = 0
for i = first, last do
  local field = 't' .. i
  local raw = redis.call('HGET', KEYS[4], field)
  if raw then
    local t = cjson.decode(raw)
    if t[1] == 'pending' or t[1] == 'processing' then
      local was = t[1]
      local rseq, rentry = '', ''
      local refund = refunds[was]
      if refund and refund[1] > 0 then
        local taskId = ARGV[6] .. ':' .. i
        local req = {'refund', refund[1], refund[2] .. taskId .. ':' .. string.format('%d', t[3]), taskId, refund[3], cjson.null, now, cjson.null, grants_task_charge(KEYS[4], i)}
        local found = ledger_find(req)
        if found == nil then
          local w = ledger_write(req, taskId)
          rseq, rentry = w[1], w[2]
        elseif found then
          rseq, rentry = found[1], found[2]
        end
      end
      t[1] = 'cancelled'
      t[5] = now
      t[6] = cjson.null
      redis.call('HSET', KEYS[4], field, cjson.encode(t))
      count = count + 1
      table.insert(out, i)
      table.insert(out, was)
      table.insert(out, rseq)
      table.insert(out, rentry)
    end
  end
end
local closed = 0
if count > 0 then
  redis.call('HINCRBY', KEYS[4], 'x', count)
  redis.call('HSET', KEYS[4], 'ua', ARGV[4])
  local b = redis.call('HMGET', KEYS[4], 'n', 'c', 'f', 'x', 's')
  if b[5] ~= 'completed' and tonumber(b[2]) + tonumber(b[3]) + tonumber(b[4]) >= tonumber(b[1]) then
    redis.call('HSET', KEYS[4], 's', 'completed')
    redis.call('ZREM', KEYS[5], ARGV[5])
    closed = 1
  end
end
return {1, ledger_balance(), closed, out, redis.call('HGETALL', KEYS[4])}
`,
);
