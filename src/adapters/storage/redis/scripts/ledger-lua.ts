/**
 * Lua shared by the scripts that write a journal entry. Expects, in every including script:
 *   KEYS[1] balance (string), KEYS[2] journal (list, entry `seq` at index seq-1),
 *   KEYS[3] idempotency keys of the journal (hash key -> seq).
 * An entry request is `[kind, amount, key, reference, reason, fingerprint, createdAt]` (JSON);
 * a stored entry is `[kind, amount, balanceAfter, key, reference, reason, createdAt, fingerprint]`.
 */
export const LEDGER_LUA = `
local function ledger_find(req)
  local seq = redis.call('HGET', KEYS[3], req[3])
  if not seq then return nil end
  local raw = redis.call('LINDEX', KEYS[2], tonumber(seq) - 1)
  local e = cjson.decode(raw)
  if e[1] ~= req[1] or e[2] ~= req[2] or e[8] ~= req[6] then return false end
  return {tonumber(seq), raw}
end

local function ledger_balance()
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end

local function ledger_write(req, reference)
  local balance = redis.call('INCRBY', KEYS[1], req[2])
  local raw = cjson.encode({req[1], req[2], balance, req[3], reference, req[5], req[7], req[6]})
  local seq = redis.call('RPUSH', KEYS[2], raw)
  redis.call('HSET', KEYS[3], req[3], seq)
  return {seq, raw, balance}
end
`;
