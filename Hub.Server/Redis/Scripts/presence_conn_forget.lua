-- Forgets a connection in its partition, through the outbox (see forget_connection). A connection
-- already in the outbox (a forget of it failed part-way, and this is the retry) is taken over from there.
-- KEYS[1] registry, KEYS[2] node counts, KEYS[3] outbox (leaving)
-- ARGV[1] connection id, ARGV[2] node set prefix, ARGV[3] group set prefix, ARGV[4] group set suffix, ARGV[5] now (unix ms)
-- Returns {node, user, groups...}, or {} when the connection was unknown.
local record = forget_connection(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if not record then
  local pending = redis.call('hget', KEYS[3], ARGV[1])
  if pending then
    record = take_pending(KEYS[3], ARGV[1], pending, ARGV[5])
  end
end
return record or {}
