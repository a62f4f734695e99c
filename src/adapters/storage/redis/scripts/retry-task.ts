import { LEDGER_LUA } from './ledger-lua.js';
import { touchOpenUserLua } from './open-users.js';
import { script } from './script.js';

/**
 * Charges and moves a `failed` task back to `pending` (progress as given; result, error, request id
 * and lease cleared), one less failed task, batch `processing` and open again; the charge's key is
 * kept as the task's (`k{index}`), so its refunds give back to what this charge drew.
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys, KEYS[4] batch hash, KEYS[5] open batches (zset),
 * KEYS[6] grants, KEYS[7] draws (see grants-lua)
 * ARGV[1] charge request JSON, ARGV[2] task index, ARGV[3] task id (the charge's reference),
 * ARGV[4] now, ARGV[5] the batch's zset member, ARGV[6] progress of the queued task
 *
 * Returns
 *   {0, seq, entry, balance, fixed part, state}   charged and reset
 *   {1, seq, entry, balance, fixed part, state}   the key was applied before: nothing written
 *   {-4, status}                                  the task is not failed ('missing' when absent)
 *   {-1, balance} | {-2}                          insufficient credits | key mismatch; nothing written
 */
export const retryTask = script('RetryTask', 7, retryTaskLua(false));

/**
 * RetryTask that also enters the user in the open-users index (see open-users) in the same step,
 * for a single Redis (not Cluster, where the index is in another slot).
 *
 * KEYS[1..5] as RetryTask, KEYS[6] open users (zset), KEYS[7] their token counter, KEYS[8] grants, KEYS[9] draws
 * ARGV[1..6] as RetryTask, ARGV[7] the username
 * Returns as RetryTask.
 */
export const retryTaskIndexed = script('RetryTaskIndexed', 9, retryTaskLua(true));

function retryTaskLua(indexed: boolean): string {
  return `${LEDGER_LUA}
local req = cjson.decode(ARGV[1])
local field = 't' .. ARGV[2]
local found = ledger_find(req)
if found == false then return {-2} end
local raw = redis.call('HGET', KEYS[4], field)
local fixed = redis.call('HGET', KEYS[4], 'p' .. ARGV[2])
if found then return {1, found[1], found[2], ledger_balance(), fixed, raw} end
if not raw then return {-4, 'missing'} end
local t = cjson.decode(raw)
if t[1] ~= 'failed' then return {-4, t[1]} end
local balance = ledger_balance()
if req[2] < 0 and balance + req[2] < 0 then return {-1, balance} end
local w = ledger_write(req, ARGV[3])
t[1] = 'pending'
t[2] = tonumber(ARGV[6])
t[5] = cjson.null
t[6] = cjson.null
t[7] = cjson.null
t[8] = cjson.null
t[9] = cjson.null
local state = cjson.encode(t)
redis.call('HSET', KEYS[4], field, state, 's', 'processing', 'ua', ARGV[4], 'k' .. ARGV[2], req[3])
redis.call('HINCRBY', KEYS[4], 'f', -1)
redis.call('ZADD', KEYS[5], redis.call('HGET', KEYS[4], 'ca'), ARGV[5])
${indexed ? touchOpenUserLua('KEYS[6]', 'KEYS[7]', 'ARGV[7]') : ''}
return {0, w[1], w[2], w[3], fixed, state}
`;
}
