/**
 * Lua of grants, the rules of `core/policy/grants.ts` and `core/storage-kit/grant-book.ts` for the
 * scripts that write journal entries. The two grant keys are the last two KEYS of every such
 * script: KEYS[#KEYS-1] the live tracked grants (hash key -> `[remaining, priority, expiresAt or
 * -1, seq, kind]`), KEYS[#KEYS] the draws of charges (hash charge key -> `[[grant, amount, kind,
 * priority, expiresAt or -1, seq], ...]`, grant '' the default pool). Expects `ledger_append`.
 */
export const GRANTS_LUA = `
local GR, DR = KEYS[#KEYS - 1], KEYS[#KEYS]

local function grants_load()
  local flat = redis.call('HGETALL', GR)
  local list = {}
  for i = 1, #flat, 2 do
    local g = cjson.decode(flat[i + 1])
    list[#list + 1] = {key = flat[i], rem = g[1], pri = g[2], exp = g[3], seq = g[4], kind = g[5]}
  end
  return list
end

local function grants_order(a, b)
  if a.pri ~= b.pri then return a.pri > b.pri end
  local ea = a.exp == -1 and math.huge or a.exp
  local eb = b.exp == -1 and math.huge or b.exp
  if ea ~= eb then return ea < eb end
  return a.seq < b.seq
end

local function grants_put(g)
  redis.call('HSET', GR, g.key, cjson.encode({g.rem, g.pri, g.exp, g.seq, g.kind}))
end

local function grants_due(g, now) return g.exp ~= -1 and g.exp <= now end

-- Writes the expire entries of the grants due at now; returns the grants still live, in draw order.
local function grants_expire(now)
  local list = grants_load()
  table.sort(list, grants_order)
  local live = {}
  for _, g in ipairs(list) do
    if grants_due(g, now) then
      ledger_append('expire', -g.rem, 'expire:' .. g.key, g.key, 'expired', cjson.null, now)
      redis.call('HDEL', GR, g.key)
    else
      live[#live + 1] = g
    end
  end
  return live
end

-- The balance at now without writing: the stored one minus what due grants still hold.
local function grants_live_balance(now)
  local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
  if redis.call('HLEN', GR) == 0 then return balance end
  for _, g in ipairs(grants_load()) do
    if grants_due(g, now) then balance = balance - g.rem end
  end
  return balance
end

local function grants_debit(req, reference, live)
  local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
  local tracked = 0
  for _, g in ipairs(live) do tracked = tracked + g.rem end
  live[#live + 1] = {key = '', rem = balance - tracked, pri = 0, exp = -1, seq = 0, kind = 'paid'}
  table.sort(live, grants_order)
  local left, draws, any = -req[2], {}, false
  for _, g in ipairs(live) do
    if left == 0 then break end
    local take = math.min(g.rem, left)
    if take > 0 then
      draws[#draws + 1] = {g.key, take, g.kind, g.pri, g.exp, g.seq}
      left = left - take
      if g.key ~= '' then
        any = true
        g.rem = g.rem - take
        if g.rem == 0 then redis.call('HDEL', GR, g.key) else grants_put(g) end
      end
    end
  end
  local w = ledger_append(req[1], req[2], req[3], reference, req[5], req[6], req[7])
  if any then redis.call('HSET', DR, req[3], cjson.encode(draws)) end
  return w
end

-- The key of the charge that paid for task i of a batch hash: its last retry's (field k<i>), else the batch's (ck); null when neither is stored.
local function grants_task_charge(batchKey, i)
  local key = redis.call('HGET', batchKey, 'k' .. i)
  if not key then key = redis.call('HGET', batchKey, 'ck') end
  return key or cjson.null
end

local function grants_refund(req, drawsKey, reference, rawDraws)
  local now = req[7]
  local draws = cjson.decode(rawDraws)
  local w = ledger_append(req[1], req[2], req[3], reference, req[5], req[6], now)
  local left = req[2]
  for i = #draws, 1, -1 do
    if left == 0 then break end
    local d = draws[i]
    local give = math.min(d[2], left)
    if give > 0 then
      d[2] = d[2] - give
      left = left - give
      if d[1] ~= '' then
        local raw = redis.call('HGET', GR, d[1])
        if raw then
          local g = cjson.decode(raw)
          g[1] = g[1] + give
          redis.call('HSET', GR, d[1], cjson.encode(g))
        elseif d[5] ~= -1 and d[5] <= now then
          w[3] = ledger_append('expire', -give, 'expire:' .. d[1] .. ':' .. req[3], d[1], 'expired', cjson.null, now)[3]
        else
          redis.call('HSET', GR, d[1], cjson.encode({give, d[4], d[5], d[6], d[3]}))
        end
      end
    end
  end
  redis.call('HSET', DR, drawsKey, cjson.encode(draws))
  return w
end

-- Writes an entry as the grants say: expiries due first, then a debit drawing in order, a refund
-- giving back to its charge's draws (those of req[9], the charge key, else of its reference), a
-- grant with terms (req[8] = [kind, priority, expiresAt or -1]) tracked, anything else joining the
-- pool. Returns {seq, raw, balance after everything}.
local function grants_write(req, reference)
  local now = req[7]
  local terms = req[8]
  local rawDraws = false
  local drawsKey = reference
  if req[9] ~= nil and req[9] ~= cjson.null then drawsKey = req[9] end
  if req[1] == 'refund' and drawsKey ~= cjson.null then rawDraws = redis.call('HGET', DR, drawsKey) end
  if redis.call('HLEN', GR) == 0 and terms == cjson.null and not rawDraws then
    return ledger_append(req[1], req[2], req[3], reference, req[5], req[6], now)
  end
  local live = grants_expire(now)
  if req[2] < 0 then return grants_debit(req, reference, live) end
  if rawDraws then return grants_refund(req, drawsKey, reference, rawDraws) end
  local w = ledger_append(req[1], req[2], req[3], reference, req[5], req[6], now)
  if terms ~= cjson.null then
    if terms[3] ~= -1 and terms[3] <= now then
      w[3] = ledger_append('expire', -req[2], 'expire:' .. req[3], req[3], 'expired', cjson.null, now)[3]
    else
      grants_put({key = req[3], rem = req[2], pri = terms[2], exp = terms[3], seq = w[1], kind = terms[1]})
    end
  end
  return w
end
`;
