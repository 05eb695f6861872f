-- Publishes one envelope; for a message with history on, first assigns its stream's next
-- offset and appends it to the stream's history. One atomic step, so history and live
-- delivery never diverge and every node receives a stream in offset order.
-- KEYS[1] stream meta hash, KEYS[2] stream log, KEYS[3] connection registry
-- ARGV[1] channel, ARGV[2] body, ARGV[3] history size (0 = off), ARGV[4] history ttl (s),
-- ARGV[5] meta ttl (s), ARGV[6] epoch to use if the stream has none, ARGV[7] connection that must be live ('' = none)
-- Returns {epoch, offset}; offset -1 when the required connection is unknown (nothing published).
if ARGV[7] ~= '' and redis.call('hexists', KEYS[3], ARGV[7]) == 0 then
  return {'', -1}
end

local size = tonumber(ARGV[3])
local epoch = ''
local offset = 0
if size > 0 then
  -- Epoch and offset live in one hash and are only ever written here, together, so the first
  -- offset of a hash is exactly when it has no epoch yet: one command less than HSETNX first.
  offset = redis.call('hincrby', KEYS[1], 'offset', 1)
  if offset == 1 then
    -- A new generation: whatever log is left belongs to the old one.
    epoch = ARGV[6]
    redis.call('hset', KEYS[1], 'epoch', epoch)
    redis.call('del', KEYS[2])
  else
    epoch = redis.call('hget', KEYS[1], 'epoch')
  end
  redis.call('expire', KEYS[1], ARGV[5])
  redis.call('xadd', KEYS[2], 'MAXLEN', size, string.format('%d-0', offset), 'm', ARGV[2])
  redis.call('expire', KEYS[2], ARGV[4])
end

redis.call('publish', ARGV[1], string.format('%d', offset) .. ':' .. epoch .. ':' .. ARGV[2])
return {epoch, offset}
