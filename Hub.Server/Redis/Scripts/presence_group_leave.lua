-- The group's side of a leave, in the group's partition.
-- KEYS[1] group members, KEYS[2] group user counts, KEYS[3] group node counts
-- ARGV[1] connection id
-- Returns 1 removed, 0 not a member.
local entry = redis.call('hget', KEYS[1], ARGV[1])
if not entry then
  return 0
end
redis.call('hdel', KEYS[1], ARGV[1])
local node, user = parse_entry(entry)
if user ~= '' then
  decrement(KEYS[2], user)
end
decrement(KEYS[3], node)
return 1
