import { GRANTS_LUA } from './grants-lua.js';

/**
 * Lua shared by the scripts that write a journal entry. Expects, in every including script:
 *   KEYS[1] balance (string), KEYS[2] journal (list, entry `seq` at index seq-1),
 *   KEYS[3] idempotency keys of the journal (hash key -> seq),
 *   and, as the last two KEYS, the user's grants and draws (see grants-lua).
 * An entry request is `[kind, amount, key, reference, reason, fingerprint, createdAt, grant terms, charge key]`
 * (JSON); a stored entry is `[kind, amount, balanceAfter, key, reference, reason, createdAt, fingerprint]`.
 * `ledger_find` runs first in every script and remembers the request's time for `ledger_balance`.
 */
export const LEDGER_LUA = `
local LEDGER_NOW = 0

local function ledger_find(req)
  LEDGER_NOW = req[7]
  local seq = redis.call('HGET', KEYS[3], req[3])
  if not seq then return nil end
  local raw = redis.call('LINDEX', KEYS[2], tonumber(seq) - 1)
  local e = cjson.decode(raw)
  if e[1] ~= req[1] or e[2] ~= req[2] or e[8] ~= req[6] then return false end
  return {tonumber(seq), raw}
end

local function ledger_append(kind, amount, key, reference, reason, fingerprint, now)
  local balance = redis.call('INCRBY', KEYS[1], amount)
  local raw = cjson.encode({kind, amount, balance, key, reference, reason, now, fingerprint})
  local seq = redis.call('RPUSH', KEYS[2], raw)
  redis.call('HSET', KEYS[3], key, seq)
  return {seq, raw, balance}
end
${GRANTS_LUA}
-- The live balance: expired grants never count, journaled or not.
local function ledger_balance()
  return grants_live_balance(LEDGER_NOW)
end

local function ledger_write(req, reference)
  return grants_write(req, reference)
end
`;
