"""The Lua scripts behind RedisStore: each read-then-write operation runs as one script.

Redis runs a script atomically, so a claim, a completion or a conditional update cannot
interleave with another node's. Conventions shared by every script:

- Times arrive as strings (``repr`` of epoch seconds) and are written back as those strings:
  Lua formats numbers with 14 significant digits, which would round microseconds away.
- Key names are built by the caller (``RedisKeys``) and passed in, except names of the
  form prefix + fixed part + one id, which scripts also build (``prefix .. 'task:' .. key``,
  ``'msg:'``, ``'iter:'``, and a resource's ``'results:'``, ``'rxml:'``, ``'rindex:'``,
  ``'rcache:'``): the same layout as ``RedisKeys``.
- Scripts touch keys that are not declared in KEYS: fine on one Redis server (or a
  primary with replicas), not on Redis Cluster.
"""

from __future__ import annotations

# Ready tasks are members "<due in microseconds, 20 digits> <task key>"; the key starts here
# (1-based, as Lua's string.sub counts).
TASK_KEY_OFFSET = 22

_DROP_TASKS = """
local function drop_tasks(prefix, rtasks, ready, delayed, leased)
  local dropped = 0
  for _, key in ipairs(redis.call('SMEMBERS', rtasks)) do
    local tk = prefix .. 'task:' .. key
    local t = redis.call('HMGET', tk, 'member', 'owner')
    if not t[2] then dropped = dropped + 1 end
    if t[1] then redis.call('ZREM', ready, t[1]) end
    redis.call('ZREM', delayed, key)
    redis.call('ZREM', leased, key)
    redis.call('DEL', tk)
  end
  redis.call('DEL', rtasks)
  return dropped
end
"""

# Results arrive in groups of RESULT_ARGS: resource id, iteration index key, device index
# key, cache zset key ('' when not cacheable), meta tail (the JSON array without its leading
# '[seq,'), xml, captured. The resource's results/rxml/rindex/rcache keys are made here.
RESULT_ARGS = 7

_STORE_RESULTS = """
local function store_results(prefix, seqkey, args, first)
  for i = first, #args, 7 do
    local rid = args[i]
    local seq = redis.call('INCR', seqkey)
    local meta = '[' .. seq .. ',' .. args[i + 4]
    redis.call('ZADD', prefix .. 'results:' .. rid, seq, meta)
    redis.call('HSET', prefix .. 'rxml:' .. rid, seq, args[i + 5])
    redis.call('ZADD', args[i + 1], seq, meta)
    redis.call('ZADD', args[i + 2], seq, meta)
    redis.call('SADD', prefix .. 'rindex:' .. rid, args[i + 1], args[i + 2])
    if args[i + 3] ~= '' then
      local member = string.format('%015d', seq) .. ':' .. rid
      redis.call('ZADD', args[i + 3], args[i + 6], member)
      redis.call('HSET', prefix .. 'rcache:' .. rid, member, args[i + 3])
    end
  end
end
"""

# KEYS: resource hash, resources zset, schedule zset.
# ARGV: resource id, created, first due ('' = none), field/value pairs.
CREATE_RESOURCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
return 1
"""

# KEYS: resource hash. ARGV: n, n blocked statuses (JSON), field/value pairs.
UPDATE_RESOURCE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = tonumber(ARGV[1])
local status = redis.call('HGET', KEYS[1], 'status')
for i = 2, n + 1 do
  if status == ARGV[i] then return false end
end
if #ARGV > n + 1 then redis.call('HSET', KEYS[1], unpack(ARGV, n + 2)) end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: resource hash, resources, schedule, schedule leases, schedule claimed-due hash,
# iterations zset, running iterations, resource tasks set, ready, delayed, leased,
# result index registry, result cache registry, results zset, result xml hash.
# ARGV: prefix, resource id.
DELETE_RESOURCE = (
    _DROP_TASKS
    + """
local prefix, rid = ARGV[1], ARGV[2]
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], rid)
redis.call('ZREM', KEYS[3], rid)
redis.call('ZREM', KEYS[4], rid)
redis.call('HDEL', KEYS[5], rid)
for _, n in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
  redis.call('DEL', prefix .. 'iter:' .. n .. ':' .. rid)
  redis.call('ZREM', KEYS[7], n .. ':' .. rid)
end
redis.call('DEL', KEYS[6])
drop_tasks(prefix, KEYS[8], KEYS[9], KEYS[10], KEYS[11])
local cached = redis.call('HGETALL', KEYS[13])
for i = 1, #cached, 2 do
  redis.call('ZREM', cached[i + 1], cached[i])
end
for _, index in ipairs(redis.call('SMEMBERS', KEYS[12])) do
  redis.call('UNLINK', index)
end
redis.call('UNLINK', KEYS[12], KEYS[13], KEYS[14], KEYS[15])
return existed
"""
)

# KEYS: schedule, schedule leases, claimed-due hash. ARGV: now, lease until, limit.
# Claims whose lease ran out (strictly before now) join the pick with their due time; those
# not picked stay claimed (as on SQLite: next_due still leaves them out).
CLAIM_DUE = """
local expired = {}
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])) do
  local due = redis.call('HGET', KEYS[3], rid)
  if due then
    expired[rid] = true
    redis.call('ZADD', KEYS[1], due, rid)
  end
end
local picked = redis.call(
  'ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #picked, 2 do
  expired[picked[i]] = nil
  redis.call('ZREM', KEYS[1], picked[i])
  redis.call('ZADD', KEYS[2], ARGV[2], picked[i])
  redis.call('HSET', KEYS[3], picked[i], picked[i + 1])
end
for rid in pairs(expired) do
  redis.call('ZREM', KEYS[1], rid)
end
return picked
"""

# KEYS: resource hash, schedule, schedule leases, claimed-due hash.
# ARGV: resource id, due ('' = not scheduled any more).
RESCHEDULE = """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[2] == '' or redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
return 1
"""

# KEYS: iteration hash, iterations zset, running iterations, ready, delayed.
# ARGV: prefix, number, running member ('' = not EXECUTING), started, 2 x field count,
# field/value pairs, then per task: key, resource tasks set, data, ready score, ready member,
# not_before ('' = none).
START_ITERATION = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local prefix = ARGV[1]
local nf = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + nf))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3]) end
for i = 6 + nf, #ARGV, 6 do
  local key, rtasks, nb = ARGV[i], ARGV[i + 1], ARGV[i + 5]
  local tk = prefix .. 'task:' .. key
  if redis.call('EXISTS', tk) == 0 then
    redis.call('HSET', tk, 'data', ARGV[i + 2], 'prio', ARGV[i + 3], 'member', ARGV[i + 4])
    redis.call('SADD', rtasks, key)
    if nb ~= '' then
      redis.call('ZADD', KEYS[5], nb, key)
    else
      redis.call('ZADD', KEYS[4], ARGV[i + 3], ARGV[i + 4])
    end
  end
end
return 1
"""

# KEYS: ready, delayed, leased. ARGV: prefix, now, lease until, limit, owner, token base.
# Returns data, recovered flag and token per claimed task. A task whose lease ran out goes
# back to the ready set with its owner and token: the claim is lost only when another claim
# takes the task (until then its owner may still extend, retry or complete it).
CLAIM_TASKS = f"""
local prefix, now = ARGV[1], ARGV[2]
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local t = redis.call('HMGET', prefix .. 'task:' .. key, 'prio', 'member')
  redis.call('ZREM', KEYS[2], key)
  if t[1] then redis.call('ZADD', KEYS[1], t[1], t[2]) end
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)) do
  local tk = prefix .. 'task:' .. key
  local t = redis.call('HMGET', tk, 'prio', 'member')
  redis.call('ZREM', KEYS[3], key)
  if t[1] then
    redis.call('HSET', tk, 'recovered', '1')
    redis.call('ZADD', KEYS[1], t[1], t[2])
  end
end
local out = {{}}
local picked = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)
for i, member in ipairs(picked) do
  local key = string.sub(member, {TASK_KEY_OFFSET})
  local tk = prefix .. 'task:' .. key
  local token = ARGV[6] .. ':' .. i
  redis.call('ZREM', KEYS[1], member)
  redis.call('HSET', tk, 'owner', ARGV[5], 'token', token)
  redis.call('ZADD', KEYS[3], ARGV[3], key)
  local t = redis.call('HMGET', tk, 'data', 'recovered')
  out[#out + 1] = t[1]
  out[#out + 1] = t[2] or '0'
  out[#out + 1] = token
end
return out
"""

# KEYS: task hash, leased, ready. ARGV: task key, owner, token, until. A claim that expired
# but was not taken over yet (back in the ready set) is taken back.
EXTEND_LEASE = """
local t = redis.call('HMGET', KEYS[1], 'owner', 'token', 'member')
if t[1] ~= ARGV[2] or t[2] ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[3], t[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
"""

# KEYS: task hash, leased, ready, delayed. ARGV: task key, token, new data, not_before.
RETRY_TASK = """
local t = redis.call('HMGET', KEYS[1], 'token', 'member')
if t[1] ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], t[2])
redis.call('HDEL', KEYS[1], 'owner', 'token', 'recovered')
redis.call('HSET', KEYS[1], 'data', ARGV[3], 'nb', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return 1
"""

# KEYS: task hash, leased, ready, delayed, resource tasks set, iteration hash, sequence.
# ARGV: task key, owner, token, results ok, results failed, prefix, result groups.
COMPLETE_TASK = (
    _STORE_RESULTS
    + """
local t = redis.call('HMGET', KEYS[1], 'owner', 'token', 'member')
if t[1] ~= ARGV[2] or t[2] ~= ARGV[3] then return false end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], t[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[5], ARGV[1])
if redis.call('EXISTS', KEYS[6]) == 0 then return false end
store_results(ARGV[6], KEYS[7], ARGV, 7)
redis.call('HINCRBY', KEYS[6], 'tasks_done', 1)
redis.call('HINCRBY', KEYS[6], 'results_ok', ARGV[4])
redis.call('HINCRBY', KEYS[6], 'results_failed', ARGV[5])
return redis.call('HGETALL', KEYS[6])
"""
)

# KEYS: sequence. ARGV: prefix, result groups.
PUT_RESULTS = (
    _STORE_RESULTS
    + """
store_results(ARGV[1], KEYS[1], ARGV, 2)
return 1
"""
)

# KEYS: iteration hash, running iterations.
# ARGV: EXECUTING (JSON), new status (JSON), finished (JSON), running member.
FINISH_ITERATION = """
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'finished', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[4])
return 1
"""

# KEYS: resource tasks set, ready, delayed, leased. ARGV: prefix.
CANCEL_TASKS = (
    _DROP_TASKS
    + """
return drop_tasks(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4])
"""
)

# Ready messages are members "<put sequence, 15 digits> <message id>", score created: equal
# creation times keep the order they were put in. The message id starts here (1-based).
MESSAGE_ID_OFFSET = 17

# KEYS: outbox ready, outbox delayed, outbox sequence. ARGV: prefix, then per message: id,
# data, body, created, attempts, next_attempt (JSON), last_error (JSON), next_attempt ('' =
# now). A message id already present (queued or dead) is not queued again.
OUTBOX_PUT = """
local added = 0
for i = 2, #ARGV, 8 do
  local mid = ARGV[i]
  local mk = ARGV[1] .. 'msg:' .. mid
  if redis.call('EXISTS', mk) == 0 then
    local member = string.format('%015d', redis.call('INCR', KEYS[3])) .. ' ' .. mid
    redis.call('HSET', mk, 'data', ARGV[i + 1], 'body', ARGV[i + 2], 'created', ARGV[i + 3],
      'attempts', ARGV[i + 4], 'next_attempt', ARGV[i + 5], 'last_error', ARGV[i + 6],
      'state', 'pending', 'member', member)
    if ARGV[i + 7] ~= '' then
      redis.call('ZADD', KEYS[2], ARGV[i + 7], mid)
    else
      redis.call('ZADD', KEYS[1], ARGV[i + 3], member)
    end
    added = added + 1
  end
end
return added
"""

# KEYS: outbox ready, delayed, leased. ARGV: prefix, now, lease until, limit, owner, token
# base. Returns data, body, attempts, next_attempt, last_error and token per message.
OUTBOX_CLAIM = f"""
local prefix, now = ARGV[1], ARGV[2]
for _, mid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local m = redis.call('HMGET', prefix .. 'msg:' .. mid, 'created', 'member')
  redis.call('ZREM', KEYS[2], mid)
  if m[1] then redis.call('ZADD', KEYS[1], m[1], m[2]) end
end
for _, mid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)) do
  local mk = prefix .. 'msg:' .. mid
  local m = redis.call('HMGET', mk, 'created', 'member')
  redis.call('ZREM', KEYS[3], mid)
  if m[1] then
    redis.call('HDEL', mk, 'owner', 'token')
    redis.call('ZADD', KEYS[1], m[1], m[2])
  end
end
local out = {{}}
for i, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)) do
  local mid = string.sub(member, {MESSAGE_ID_OFFSET})
  local mk = prefix .. 'msg:' .. mid
  local token = ARGV[6] .. ':' .. i
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZADD', KEYS[3], ARGV[3], mid)
  redis.call('HSET', mk, 'owner', ARGV[5], 'token', token)
  local m = redis.call('HMGET', mk, 'data', 'body', 'attempts', 'next_attempt', 'last_error')
  for j = 1, 5 do out[#out + 1] = m[j] end
  out[#out + 1] = token
end
return out
"""

_DEQUEUE_MESSAGE = """
local function dequeue(mk, ready, delayed, leased, mid)
  local member = redis.call('HGET', mk, 'member')
  if member then redis.call('ZREM', ready, member) end
  redis.call('ZREM', delayed, mid)
  redis.call('ZREM', leased, mid)
end
"""

# KEYS: message hash, ready, delayed, leased. ARGV: message id.
OUTBOX_DELIVERED = (
    _DEQUEUE_MESSAGE
    + """
dequeue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
return redis.call('DEL', KEYS[1])
"""
)

# KEYS: message hash, ready, delayed, leased.
# ARGV: message id, next attempt (epoch string, also its JSON), last error (JSON).
OUTBOX_RETRY = (
    _DEQUEUE_MESSAGE
    + """
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
dequeue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'next_attempt', ARGV[2], 'last_error', ARGV[3])
redis.call('HDEL', KEYS[1], 'owner', 'token')
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""
)

# KEYS: message hash, ready, delayed, leased, dead. ARGV: message id, last error (JSON).
OUTBOX_DEAD = (
    _DEQUEUE_MESSAGE
    + """
local created = redis.call('HGET', KEYS[1], 'created')
if not created then return 0 end
dequeue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'dead', 'last_error', ARGV[2])
redis.call('HDEL', KEYS[1], 'owner', 'token')
redis.call('ZADD', KEYS[5], created, ARGV[1])
return 1
"""
)

# KEYS: meter lock. ARGV: owner, ttl in milliseconds. Real time (Redis's clock): a lock
# outlives a dead holder by at most ttl.
ACQUIRE_METER = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS: meter lock. ARGV: owner. Compare and delete.
RELEASE_METER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: own counters hash. ARGV: system title, count, first counter, maximum counter.
# Returns the first reserved counter, or -1 when the block would pass the maximum.
RESERVE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local first = tonumber(current or ARGV[3])
if first + tonumber(ARGV[2]) - 1 > tonumber(ARGV[4]) then return -1 end
if not current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
return first
"""

# KEYS: received counters hash. ARGV: system title, counter. Keeps the maximum.
RECORD_RECEIVED = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 1
"""

# Segment limits shared by the nodes (cas.dlms.shared_segments), on Redis's clock.
# KEYS: the segment's connections zset (holder -> expiry in ms). ARGV: holder, max open,
# lifetime in ms. Entries past their expiry (a node that died) are dropped first.
# Returns 1 when the holder is counted now, 0 when the segment is full.
SEGMENT_ENTER = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""

# KEYS: the segment's connections zset. ARGV: lifetime in ms, holders. Pushes the expiry of
# those still counted; one that lapsed (no renewal reached Redis for a whole lifetime) is not
# added back, and the segment may hold one connection more than its limit until it closes.
SEGMENT_RENEW = """
local now = redis.call('TIME')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_ms, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

# KEYS: the segment's next start time (µs of Redis's clock). ARGV: µs between starts.
# Reserves the next free start for the caller: returns the µs to wait until it.
SEGMENT_START = """
local now = redis.call('TIME')
local us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local at = math.max(us, tonumber(redis.call('GET', KEYS[1]) or '0'))
local following = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', following), 'PX',
  math.ceil((following - us) / 1000) + 1000)
return at - us
"""
