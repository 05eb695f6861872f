-- Registers a live connection, cluster-wide.
-- KEYS[1] connection registry, KEYS[2] user counts, KEYS[3] the node's connection set
-- ARGV[1] connection id, ARGV[2] node id, ARGV[3] user id ('' = anonymous)
if redis.call('hsetnx', KEYS[1], ARGV[1], ARGV[2] .. '\n' .. ARGV[3]) == 1 then
  if ARGV[3] ~= '' then
    redis.call('hincrby', KEYS[2], ARGV[3], 1)
  end
  redis.call('sadd', KEYS[3], ARGV[1])
end
return 1
