-- A group's presence from its counters: the member list itself is never transferred.
-- KEYS[1] group members, KEYS[2] group user counts, KEYS[3] group node counts
-- ARGV[1] most user ids to list
-- Returns {connections, user count, {user ids}, {node, count, node, count, ...}}
local cap = tonumber(ARGV[1])
local user_count = redis.call('hlen', KEYS[2])
local users = capped_fields(KEYS[2], user_count, cap)
return {redis.call('hlen', KEYS[1]), user_count, users, redis.call('hgetall', KEYS[3])}
