-- Takes a connection from its user, in the user's partition; the user is listed no more once
-- its last connection went.
-- KEYS[1] the user's connections, KEYS[2] the user's node counts, KEYS[3] the partition's users
-- ARGV[1] connection id, ARGV[2] node id, ARGV[3] user id
if redis.call('srem', KEYS[1], ARGV[1]) == 1 then
  decrement(KEYS[2], ARGV[2])
  if redis.call('scard', KEYS[1]) == 0 then
    redis.call('srem', KEYS[3], ARGV[3])
  end
end
return 1
