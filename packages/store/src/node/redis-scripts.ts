/**
 * The Lua scripts of the redis engine. Each runs atomically on the server, which is how
 * compare-and-set, increment-with-version, checked lease release and claim-or-dead-letter stay
 * race-free across replicas without WATCH round trips. KV entries are hashes
 * `{ v: value, n: version, e: expiresAt }` plus a sorted-set index for ordered prefix scans, and a
 * second sorted set of expiry times so that every write also drops a few expired keys from the
 * index: the index stays bounded by the live keys even when nobody lists them.
 *
 * Writes take KEYS entry, index, expiries and ARGV value|by, ttlMs|'', expiresAt, member,
 * expectedVersion|'', entry key prefix, now.
 */

/** KEYS: entry. Returns [value, version, expiresAt] or nil. */
export const getScript = `
local h = redis.call('HMGET', KEYS[1], 'v', 'n', 'e')
if not h[2] then return nil end
return h
`;

// Up to 20 index members whose entries expired are removed per write (amortised clean-up).
const sweepExpired = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[7], 'LIMIT', 0, 20)
for _, member in ipairs(expired) do
  if redis.call('EXISTS', ARGV[6] .. member) == 0 then
    redis.call('ZREM', KEYS[2], member)
    redis.call('ZREM', KEYS[3], member)
  end
end
`;

// Shared tail of set and compare-and-set: the TTL field, index and expiry membership.
const writeTail = `
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'e', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
else
  redis.call('HDEL', KEYS[1], 'e')
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[4])
end
redis.call('ZADD', KEYS[2], 0, ARGV[4])
${sweepExpired}
`;

/** Returns the new version. */
export const setScript = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'v', ARGV[1])
${writeTail}
return n
`;

/**
 * Returns {1, version} on success or {0, value, version, expiresAt} (false fields when absent).
 */
export const compareAndSetScript = `
local current = redis.call('HMGET', KEYS[1], 'v', 'n', 'e')
local matches
if ARGV[5] == '' then matches = not current[2] else matches = current[2] == ARGV[5] end
if not matches then return {0, current[1], current[2], current[3]} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'v', ARGV[1])
${writeTail}
return {1, n}
`;

/** KEYS: entry, index, expiries. ARGV: member, expectedVersion|''. Returns 1 when deleted. */
export const deleteScript = `
local n = redis.call('HGET', KEYS[1], 'n')
if not n or (ARGV[2] ~= '' and n ~= ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/** ARGV[1] is the amount. Returns the new value. */
export const incrementScript = `
local v = redis.call('HGET', KEYS[1], 'v')
if v and not string.match(v, '^%-?%d+$') then return redis.error_reply('STORE_INVALID_VALUE') end
local next = redis.call('HINCRBY', KEYS[1], 'v', ARGV[1])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then
  if ARGV[2] ~= '' then
    redis.call('HSET', KEYS[1], 'e', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
  end
  redis.call('ZADD', KEYS[2], 0, ARGV[4])
end
${sweepExpired}
return next
`;

/**
 * KEYS: index, expiries. ARGV: min (ZRANGEBYLEX form), key prefix of entries, member prefix, wanted.
 * Walks the index from min, dropping members whose entry expired, and returns up to `wanted`
 * live {member, value, version, expiresAt}. Entry keys are derived from members, so this script
 * (like the engine) needs a single Redis node, not Redis Cluster.
 */
export const listScript = `
local out = {}
local min = ARGV[1]
local wanted = tonumber(ARGV[4])
local batch = wanted + 10
while #out < wanted do
  local members = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, batch)
  for _, member in ipairs(members) do
    if string.sub(member, 1, #ARGV[3]) ~= ARGV[3] then return out end
    local h = redis.call('HMGET', ARGV[2] .. member, 'v', 'n', 'e')
    if h[2] then
      out[#out + 1] = {member, h[1], h[2], h[3]}
      if #out >= wanted then return out end
    else
      redis.call('ZREM', KEYS[1], member)
      redis.call('ZREM', KEYS[2], member)
    end
    min = '(' .. member
  end
  if #members < batch then return out end
end
return out
`;

/**
 * KEYS: stream, dead-letter stream. ARGV: group, consumer, minIdleMs, count, maxDeliveries|'',
 * stream name (for the dead-letter origin).
 * Claims idle pending messages with XAUTOCLAIM (which raises their delivery count); those now past
 * maxDeliveries are appended to the dead-letter stream and acknowledged instead of returned.
 * Returns {{id, fields, deliveryCount}...}, {deadLetteredId...}.
 */
export const claimScript = `
local count = tonumber(ARGV[4])
local maxDeliveries = tonumber(ARGV[5])
local messages = {}
local dead = {}
local cursor = '0-0'
for _ = 1, 10 do
  local result = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', count - #messages - #dead)
  cursor = result[1]
  for _, entry in ipairs(result[2]) do
    local id = entry[1]
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = pending[1] and pending[1][4] or 1
    if maxDeliveries and deliveries > maxDeliveries then
      local data = ''
      for index = 1, #entry[2], 2 do
        if entry[2][index] == 'd' then data = entry[2][index + 1] end
      end
      local origin = cjson.encode({stream = ARGV[6], group = ARGV[1], id = id, deliveryCount = deliveries - 1})
      redis.call('XADD', KEYS[2], '*', 'd', data, 'o', origin)
      redis.call('XACK', KEYS[1], ARGV[1], id)
      dead[#dead + 1] = id
    else
      messages[#messages + 1] = {id, entry[2], deliveries}
    end
  end
  if cursor == '0-0' or #messages + #dead >= count then break end
end
return {messages, dead}
`;

/** KEYS: lease. ARGV: token, ttlMs. Returns 1 when renewed. */
export const renewLeaseScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** KEYS: lease. ARGV: token. Returns 1 when released (the checked release). */
export const releaseLeaseScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** KEYS: lease. Returns {token, pttl} or nil. */
export const getLeaseScript = `
local token = redis.call('GET', KEYS[1])
if not token then return nil end
return {token, redis.call('PTTL', KEYS[1])}
`;
