-- Adds a connection to its user, in the user's partition.
-- KEYS[1] the user's connections, KEYS[2] the user's node counts, KEYS[3] the partition's users
-- ARGV[1] connection id, ARGV[2] node id, ARGV[3] user id
if redis.call('sadd', KEYS[1], ARGV[1]) == 1 then
  redis.call('hincrby', KEYS[2], ARGV[2], 1)
  redis.call('sadd', KEYS[3], ARGV[3])
end
return 1
