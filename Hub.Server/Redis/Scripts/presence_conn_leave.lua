-- The connection's side of a leave, in its partition.
-- KEYS[1] the connection's groups
-- ARGV[1] group
-- Returns 1 left, 0 not a member (or unknown connection).
return redis.call('srem', KEYS[1], ARGV[1])
