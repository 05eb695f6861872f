-- The whole hub's presence from its counters.
-- KEYS[1] connection registry, KEYS[2] user counts, KEYS[3] node heartbeats
-- ARGV[1] most user ids to list, ARGV[2] node key prefix, ARGV[3] oldest heartbeat of a live node (unix ms)
-- Returns {connections, user count, {user ids}, {node, count, node, count, ...}}
local cap = tonumber(ARGV[1])
local user_count = redis.call('hlen', KEYS[2])
local users = capped_fields(KEYS[2], user_count, cap)
local nodes = {}
for _, node in ipairs(redis.call('zrangebyscore', KEYS[3], ARGV[3], '+inf')) do
  nodes[#nodes + 1] = node
  nodes[#nodes + 1] = redis.call('scard', ARGV[2] .. node .. ':conns')
end
return {redis.call('hlen', KEYS[1]), user_count, users, nodes}
