-- The group's side of a join, in the group's partition. O(1): no member list is read.
-- KEYS[1] group members, KEYS[2] group user counts, KEYS[3] group node counts
-- ARGV[1] connection id, ARGV[2] node id, ARGV[3] user id ('' = anonymous)
-- Returns 1 added, 0 already a member.
if redis.call('hsetnx', KEYS[1], ARGV[1], ARGV[2] .. '\n' .. ARGV[3]) == 0 then
  return 0
end
if ARGV[3] ~= '' then
  redis.call('hincrby', KEYS[2], ARGV[3], 1)
end
redis.call('hincrby', KEYS[3], ARGV[2], 1)
return 1
