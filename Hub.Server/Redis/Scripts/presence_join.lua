-- Adds a live connection to a group. O(1): no member list is read.
-- KEYS[1] connection registry, KEYS[2] the connection's groups,
-- KEYS[3] group members, KEYS[4] group user counts, KEYS[5] group node counts
-- ARGV[1] connection id, ARGV[2] group, ARGV[3] max groups per connection (0 = unlimited)
-- Returns 1 joined, 0 already a member, -1 unknown connection, -2 too many groups.
local entry = redis.call('hget', KEYS[1], ARGV[1])
if not entry then
  return -1
end
if redis.call('sismember', KEYS[2], ARGV[2]) == 1 then
  return 0
end
local max = tonumber(ARGV[3])
if max > 0 and redis.call('scard', KEYS[2]) >= max then
  return -2
end
local node, user = parse_entry(entry)
redis.call('sadd', KEYS[2], ARGV[2])
redis.call('hset', KEYS[3], ARGV[1], user)
if user ~= '' then
  redis.call('hincrby', KEYS[4], user, 1)
end
redis.call('hincrby', KEYS[5], node, 1)
return 1
