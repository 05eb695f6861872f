-- Forgets a dead node once none of its connections is left, unless it beat again meanwhile.
-- KEYS[1] node heartbeats
-- ARGV[1] node id, ARGV[2] heartbeat after which the node counts as alive again (unix ms)
local beat = redis.call('zscore', KEYS[1], ARGV[1])
if beat and tonumber(beat) < tonumber(ARGV[2]) then
  redis.call('zrem', KEYS[1], ARGV[1])
end
return 1
