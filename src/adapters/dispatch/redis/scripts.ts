/**
 * The queue's Lua scripts. Every script gets all of the queue's keys (they share one hash tag, so
 * the queue also runs on Redis Cluster), in the order of {@link queueKeys}:
 *
 * 1 jobs (hash: job id -> payload; a job is queued, running or delayed while it is here)
 * 2 wait (sorted set: `seq|job id` by round; `seq` keeps a round first-in, first-out)
 * 3 active (sorted set: job id by the time its worker's hold runs out, epoch ms)
 * 4 delayed (sorted set: job id by the time it is due)
 * 5 owners (hash: job id -> the token of the delivery that holds it)
 * 6 tries (hash: job id -> runs that threw)
 * 7 seq (counter of wait members and delivery tokens)
 * 8 round (the highest round handed to a worker)
 * 9 tags (hash: username -> the last round given to that user's jobs)
 * 10 wake (list: one token per waiting job, up to a cap, for idle workers blocked on BLPOP)
 *
 * Times come from Redis (`TIME`), so hosts whose clocks differ agree on when a hold runs out.
 */

/** Wait members are `%015d|jobId`: the id starts at this character. */
const ID_AT = 17;

/** Keeps the wake list as long as the wait set (up to 1,000), so an idle worker blocks only when nothing waits. */
const MATCH_WAKE = `
local function matchWake()
  local waiting = math.min(redis.call('ZCARD', KEYS[2]), 1000)
  local tokens = redis.call('LLEN', KEYS[10])
  if tokens > waiting then
    redis.call('LTRIM', KEYS[10], tokens - waiting, -1)
  elseif tokens < waiting then
    local add = {}
    for n = 1, math.min(waiting - tokens, 100) do add[n] = '1' end
    redis.call('RPUSH', KEYS[10], unpack(add))
  end
end
local function pushWait(score, id)
  local seq = redis.call('INCR', KEYS[7])
  redis.call('ZADD', KEYS[2], score, string.format('%015d', seq) .. '|' .. id)
end
`;

/**
 * Adds jobs that are not already in the queue. With fairness, a user's n-th new job goes to round
 * `max(current round, user's last round) + n`, so a user who arrives late with 10 jobs interleaves
 * one for one with another's queued 100; without it every job has round 0 (first-in, first-out).
 *
 * ARGV[1] '1' for fairness, then (job id, username, payload) for each job. Returns how many were added.
 */
export const ENQUEUE = `${MATCH_WAKE}
local fair = ARGV[1] == '1'
local round = tonumber(redis.call('GET', KEYS[8]) or '0')
local nextOf = {}
local added = 0
for i = 2, #ARGV, 3 do
  local id, user = ARGV[i], ARGV[i + 1]
  if redis.call('HSETNX', KEYS[1], id, ARGV[i + 2]) == 1 then
    local score = 0
    if fair then
      score = nextOf[user] or (math.max(round, tonumber(redis.call('HGET', KEYS[9], user) or '0')) + 1)
      nextOf[user] = score + 1
    end
    pushWait(score, id)
    added = added + 1
  end
end
for user, n in pairs(nextOf) do redis.call('HSET', KEYS[9], user, n - 1) end
if added > 0 then matchWake() end
return added
`;

/**
 * One turn of a worker process: ends the jobs it finished, moves the ones it must look at again to
 * `delayed`, puts back the due delayed jobs and those whose holder's hold ran out (a dead worker),
 * then hands it up to `want` jobs, lowest round first. Ends and moves apply only while the given
 * token still holds the job: a worker whose hold ran out and whose job went to another cannot end
 * or move the other's delivery.
 *
 * ARGV[1] hold (ms), ARGV[2] want, ARGV[3] how many ends, then (job id, token) per end, then
 * (job id, token, due ms, '1' when the run threw) per move.
 * Returns (job id, payload, token, tries) for each job handed out.
 */
export const TURN = `${MATCH_WAKE}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holdMs, want, ends = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local i = 4
for _ = 1, ends do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[5], id) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[6], id)
  end
  i = i + 2
end
while i <= #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[5], id) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[5], id)
    if ARGV[i + 3] == '1' then redis.call('HINCRBY', KEYS[6], id, 1) end
    redis.call('ZADD', KEYS[4], tonumber(ARGV[i + 2]), id)
  end
  i = i + 4
end
local round = tonumber(redis.call('GET', KEYS[8]) or '0')
local requeued = false
for _, set in ipairs({ KEYS[4], KEYS[3] }) do
  local due = redis.call('ZRANGEBYSCORE', set, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(due) do
    redis.call('ZREM', set, id)
    redis.call('HDEL', KEYS[5], id)
    -- At the current round: a job looked at again goes before the jobs queued after it.
    if redis.call('HEXISTS', KEYS[1], id) == 1 then pushWait(round, id) requeued = true end
  end
end
local out = {}
if want > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], want)
  local top = round
  for j = 1, #popped, 2 do
    local id = string.sub(popped[j], ${ID_AT})
    local payload = redis.call('HGET', KEYS[1], id)
    if payload then
      local token = tostring(redis.call('INCR', KEYS[7]))
      redis.call('HSET', KEYS[5], id, token)
      redis.call('ZADD', KEYS[3], now + holdMs, id)
      out[#out + 1] = id
      out[#out + 1] = payload
      out[#out + 1] = token
      out[#out + 1] = redis.call('HGET', KEYS[6], id) or '0'
      local score = tonumber(popped[j + 1])
      if score > top then top = score end
    end
  end
  if top > round then redis.call('SET', KEYS[8], top) end
  if #popped > 0 then
    -- Every round handed to a user is at or below the current one once nothing waits.
    if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[9]) end
    requeued = true
  end
end
if requeued then matchWake() end
return out
`;

/**
 * Renews the holds of the jobs a worker still runs. ARGV[1] hold (ms), then (job id, token) per job.
 * Returns how many it renewed.
 */
export const EXTEND = `
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[5], ARGV[i]) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[3], 'XX', until_, ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
`;

/** The queue's keys, in the order the scripts take them. */
export function queueKeys(base: string): string[] {
  return ['jobs', 'wait', 'active', 'delayed', 'owners', 'tries', 'seq', 'round', 'tags', 'wake'].map((name) => `${base}:${name}`);
}

/** Index of each key in {@link queueKeys}. */
export const KEY = { jobs: 0, wait: 1, active: 2, delayed: 3, wake: 9 } as const;
