-- Publishes one envelope; for a message with history on, first assigns its stream's next
-- offset and appends it to the stream's history. One atomic step, so history and live
-- delivery never diverge and every node receives a stream in offset order.
-- KEYS[1] stream meta hash, KEYS[2] stream log, KEYS[3] (only when a connection must be there) the
-- hash that must hold it, in the same slot: its partition's registry, or its group's members
-- ARGV[1] channel, ARGV[2] body, ARGV[3] history size (0 = off), ARGV[4] history ttl (s),
-- ARGV[5] meta ttl (s), ARGV[6] epoch to use for a new generation, ARGV[7] connection that must
-- be live ('' = none), ARGV[8] epoch and ARGV[9] offset of the highest position the publishing
-- node knows of the stream ('' and 0 = none)
-- Returns {epoch, offset}; offset -1 when the required connection is unknown (nothing published).
if ARGV[7] ~= '' and redis.call('hexists', KEYS[3], ARGV[7]) == 0 then
  return {'', -1}
end

local size = tonumber(ARGV[3])
local epoch = ''
local offset = 0
if size > 0 then
  local meta = redis.call('hmget', KEYS[1], 'epoch', 'offset')
  epoch = meta[1]
  offset = tonumber(meta[2] or '0') + 1
  local known = tonumber(ARGV[9])
  if not epoch then
    -- A new stream, or one whose history was lost (flushed, expired, restarted empty).
    epoch = ARGV[6]
    offset = 1
    redis.call('del', KEYS[2])
    redis.call('hset', KEYS[1], 'epoch', epoch)
  elseif epoch == ARGV[8] and offset <= known then
    -- The stream went back: a replica promoted or a restart without the last writes lacks
    -- messages someone already saw under these offsets. A new epoch names what comes now, so no
    -- position ever names two messages, and a client resuming from the old one is told it lost
    -- messages. Offsets go on after the highest known, and the old log is dropped with its epoch.
    epoch = ARGV[6]
    offset = known + 1
    redis.call('del', KEYS[2])
    redis.call('hset', KEYS[1], 'epoch', epoch)
  end
  redis.call('hset', KEYS[1], 'offset', offset)
  redis.call('expire', KEYS[1], ARGV[5])
  redis.call('xadd', KEYS[2], 'MAXLEN', size, string.format('%d-0', offset), 'm', ARGV[2])
  redis.call('expire', KEYS[2], ARGV[4])
end

redis.call('publish', ARGV[1], string.format('%d', offset) .. ':' .. epoch .. ':' .. ARGV[2])
return {epoch, offset}
