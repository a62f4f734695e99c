import { LEDGER_LUA } from './ledger-lua.js';
import { touchOpenUserLua } from './open-users.js';
import { script } from './script.js';

/**
 * Charges and creates a batch in one step. Validates everything before the first write.
 *
 * KEYS[1] balance, KEYS[2] journal, KEYS[3] journal keys,
 * KEYS[4] batch hash, KEYS[5] the user's batches (zset by createdAt), KEYS[6] the user's open batches (zset),
 * KEYS[7] grants, KEYS[8] draws (see grants-lua)
 * ARGV[1] charge request JSON (see ledger-lua), ARGV[2] batch id (the charge's reference),
 * ARGV[3] member of the zsets (the id's timestamp), ARGV[4] createdAt, ARGV[5] 1 when the batch is open,
 * ARGV[6] the most tasks the user may have pending or processing, the new ones included ('' for no ceiling),
 * ARGV[7] the start of the user's batch hash keys (a member appended names one), ARGV[8] the batch's task count,
 * ARGV[9..] field, value pairs of the batch hash
 *
 * The ceiling sums the open tasks (n - c - f - x) of the batches in the user's open-batch zset: an
 * open batch holds at least one open task, so that is at most ARGV[6] hashes. Those hashes are not
 * in KEYS, but they share the user's hash tag, so they are in the script's Cluster slot.
 *
 * Returns
 *   {0, seq, entry, balance}             created and charged
 *   {1, seq, entry, balance}             the charge key was applied before: nothing written,
 *                                        the entry's reference names the batch it paid for
 *   {-1, balance} | {-2} | {-3}          insufficient credits | key mismatch | id taken; nothing written
 *   {-5, waiting}                        over the tasks-waiting ceiling; nothing written
 */
export const createBatch = script('CreateBatch', 8, createBatchLua(false));

/**
 * CreateBatch that also enters the user in the open-users index (see open-users) in the same step,
 * for a single Redis (not Cluster, where the index is in another slot): one round trip per submit.
 * The index entry is written with the batch, so recovery never misses it.
 *
 * KEYS[1..6] as CreateBatch, KEYS[7] open users (zset), KEYS[8] their token counter, KEYS[9] grants, KEYS[10] draws
 * ARGV[1..8] as CreateBatch, ARGV[9] the username, ARGV[10..] field, value pairs of the batch hash
 * Returns as CreateBatch.
 */
export const createBatchIndexed = script('CreateBatchIndexed', 10, createBatchLua(true));

function createBatchLua(indexed: boolean): string {
  return `${LEDGER_LUA}
local req = cjson.decode(ARGV[1])
local found = ledger_find(req)
if found == false then return {-2} end
if found then return {1, found[1], found[2], ledger_balance()} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {-3} end
if ARGV[6] ~= '' then
  local waiting = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
    local b = redis.call('HMGET', ARGV[7] .. member, 'n', 'c', 'f', 'x')
    if b[1] then waiting = waiting + tonumber(b[1]) - tonumber(b[2]) - tonumber(b[3]) - tonumber(b[4] or '0') end
  end
  if waiting + tonumber(ARGV[8]) > tonumber(ARGV[6]) then return {-5, waiting} end
end
local balance = ledger_balance()
if req[2] < 0 and balance + req[2] < 0 then return {-1, balance} end
local w = ledger_write(req, ARGV[2])
redis.call('HSET', KEYS[4], unpack(ARGV, ${indexed ? 10 : 9}))
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[6], ARGV[4], ARGV[3])
  ${indexed ? touchOpenUserLua('KEYS[7]', 'KEYS[8]', 'ARGV[9]') : ''}
end
return {0, w[1], w[2], w[3]}
`;
}
