-- Takes a connection out of a group.
-- KEYS[1] connection registry, KEYS[2] the connection's groups
-- ARGV[1] connection id, ARGV[2] group, ARGV[3] group key prefix
-- Returns 1 left, 0 not a member (or unknown connection).
local entry = redis.call('hget', KEYS[1], ARGV[1])
if not entry or redis.call('srem', KEYS[2], ARGV[2]) == 0 then
  return 0
end
local node, user = parse_entry(entry)
leave_group(ARGV[3], ARGV[2], ARGV[1], node, user)
return 1
