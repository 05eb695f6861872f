-- Registers a live connection in its partition.
-- KEYS[1] registry, KEYS[2] the node's connection set, KEYS[3] node counts
-- ARGV[1] connection id, ARGV[2] node id, ARGV[3] user id ('' = anonymous)
if redis.call('hsetnx', KEYS[1], ARGV[1], ARGV[2] .. '\n' .. ARGV[3]) == 1 then
  redis.call('sadd', KEYS[2], ARGV[1])
  redis.call('hincrby', KEYS[3], ARGV[2], 1)
end
return 1
