-- The connection's side of a join, in its partition: it must be live and under its limit.
-- KEYS[1] registry, KEYS[2] the connection's groups
-- ARGV[1] connection id, ARGV[2] group, ARGV[3] max groups per connection (0 = unlimited)
-- Returns 1 joined, 0 already a member, -1 unknown connection, -2 too many groups.
if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then
  return -1
end
if redis.call('sismember', KEYS[2], ARGV[2]) == 1 then
  return 0
end
local max = tonumber(ARGV[3])
if max > 0 and redis.call('scard', KEYS[2]) >= max then
  return -2
end
redis.call('sadd', KEYS[2], ARGV[2])
return 1
