-- Forgets a connection and takes it out of every group it was in.
-- KEYS[1] connection registry, KEYS[2] user counts
-- ARGV[1] connection id, ARGV[2] node key prefix, ARGV[3] connection key prefix, ARGV[4] group key prefix
-- Returns the groups it was in (empty when the connection was unknown).
local entry = redis.call('hget', KEYS[1], ARGV[1])
if not entry then
  return {}
end
local node, user = parse_entry(entry)
redis.call('hdel', KEYS[1], ARGV[1])
if user ~= '' then
  decrement(KEYS[2], user)
end
redis.call('srem', ARGV[2] .. node .. ':conns', ARGV[1])

local groups_key = ARGV[3] .. ARGV[1] .. ':groups'
local groups = redis.call('smembers', groups_key)
for _, group in ipairs(groups) do
  leave_group(ARGV[4], group, ARGV[1], node, user)
end
redis.call('del', groups_key)
return groups
