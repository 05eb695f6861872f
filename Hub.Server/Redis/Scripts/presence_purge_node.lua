-- Forgets up to a batch of the connections of a node that died, and forgets the node once
-- none is left. SPOP hands each connection to exactly one caller, so when several nodes
-- purge the same dead node, each departure is announced once.
-- KEYS[1] connection registry, KEYS[2] user counts, KEYS[3] node heartbeats
-- ARGV[1] node id, ARGV[2] batch size, ARGV[3] heartbeat after which the node counts as
-- alive again (unix ms; '' = purge regardless), ARGV[4] node key prefix,
-- ARGV[5] connection key prefix, ARGV[6] group key prefix
-- Returns {id, user, group count, groups..., id, user, ...}
if ARGV[3] ~= '' then
  local beat = redis.call('zscore', KEYS[3], ARGV[1])
  if beat and tonumber(beat) >= tonumber(ARGV[3]) then
    return {}
  end
end

local set = ARGV[4] .. ARGV[1] .. ':conns'
local out = {}
for _, id in ipairs(redis.call('spop', set, ARGV[2])) do
  local user, groups = forget_connection(KEYS[1], KEYS[2], id, ARGV[4], ARGV[5], ARGV[6])
  if user then
    out[#out + 1] = id
    out[#out + 1] = user
    out[#out + 1] = #groups
    for _, group in ipairs(groups) do
      out[#out + 1] = group
    end
  end
end

if ARGV[3] ~= '' and redis.call('scard', set) == 0 then
  redis.call('zrem', KEYS[3], ARGV[1])
end
return out
