-- Publishes one envelope; for a message with history on, first assigns its stream's next
-- offset and appends it to the stream's history. One atomic step, so history and live
-- delivery never diverge and every node receives a stream in offset order.
-- KEYS[1] stream meta hash, KEYS[2] stream log, KEYS[3] (only when a connection must be there) the
-- hash that must hold it, in the same slot: its partition's registry, or its group's members
-- ARGV[1] channel, ARGV[2] body, ARGV[3] history size (0 = off), ARGV[4] history ttl (s),
-- ARGV[5] meta ttl (s), ARGV[6] epoch to use for a new generation, ARGV[7] connection that must
-- be live ('' = none), ARGV[8] epoch and ARGV[9] offset of the highest position the publishing
-- node knows of the stream ('' and 0 = none)
-- On a Redis Cluster the envelope goes only to the nodes with a recipient (interest routing):
-- KEYS[3] is then always there (the interest key again when no connection is required), KEYS[4]
-- the interest key and KEYS[5] the channel sequence hash, all in the stream's slot;
-- ARGV[10] how to find the nodes: 'nodes' the keys of the count hash KEYS[4] (a group's or a
-- user's nodes), 'conn' the node of entry ARGV[11] of KEYS[4] ("{node}\n{user}": the registry, or a
-- group's members), 'node' ARGV[11] itself, 'bus' every node (SPUBLISH ARGV[1]), '' a classic
-- PUBLISH to ARGV[1] (one server, Sentinel); ARGV[12] the partition's node channel prefix.
-- Each routed payload starts with "{sequence}:", +1 per channel, so a node tells a lost message.
-- ARGV[13] '1' on a Redis Cluster: meta field 'owner' keeps the id of the master that wrote the
-- stream last; another master finding itself there (a failover or a slot move took the stream to
-- it) opens a new epoch that continues the old one, and meta field 'lineage' records each ended
-- epoch with its last offset ("epoch:offset" pairs, space separated, newest last, at most 16).
-- Returns {epoch, offset}; offset -1 when the required connection is unknown (nothing published).
if ARGV[7] ~= '' and redis.call('hexists', KEYS[3], ARGV[7]) == 0 then
  return {'', -1}
end

local size = tonumber(ARGV[3])
local epoch = ''
local offset = 0
if size > 0 then
  local meta = redis.call('hmget', KEYS[1], 'epoch', 'offset', 'owner', 'lineage')
  epoch = meta[1]
  offset = tonumber(meta[2] or '0') + 1
  local known = tonumber(ARGV[9])
  local me = nil
  if ARGV[13] == '1' then
    me = redis.call('cluster', 'myid')
  end
  if not epoch then
    -- A new stream, or one whose history was lost (flushed, expired, restarted empty).
    epoch = ARGV[6]
    offset = 1
    redis.call('del', KEYS[2])
    redis.call('hdel', KEYS[1], 'lineage')
    redis.call('hset', KEYS[1], 'epoch', epoch)
  elseif epoch == ARGV[8] and offset <= known then
    -- The stream went back: a replica promoted or a restart without the last writes lacks
    -- messages someone already saw under these offsets. A new epoch names what comes now, so no
    -- position ever names two messages, and a client resuming from the old one is told it lost
    -- messages. Offsets go on after the highest known, and the old log is dropped with its epoch.
    -- Checked before the owner: after a failover that lost writes this node saw, a lineage would
    -- hand their offsets out again and let a receiver that had not yet seen them go on unaware.
    epoch = ARGV[6]
    offset = known + 1
    redis.call('del', KEYS[2])
    redis.call('hdel', KEYS[1], 'lineage')
    redis.call('hset', KEYS[1], 'epoch', epoch)
  elseif me and meta[3] and meta[3] ~= me then
    -- Another master wrote the stream last: this one was its replica (promoted, possibly without
    -- the last writes) or the slot moved here. What is here is the same messages under the same
    -- offsets; what is not may have been seen by receivers under the offsets that come next. A new
    -- epoch names what comes now, and the lineage says up to where the ended epoch is kept, so a
    -- receiver at or below it goes on without loss and one beyond it learns it lost messages.
    local lineage = {}
    for pair in string.gmatch(meta[4] or '', '%S+') do
      lineage[#lineage + 1] = pair
    end
    lineage[#lineage + 1] = epoch .. ':' .. (meta[2] or '0')
    while #lineage > 16 do
      table.remove(lineage, 1)
    end
    epoch = ARGV[6]
    redis.call('hset', KEYS[1], 'epoch', epoch, 'lineage', table.concat(lineage, ' '))
  end
  if me then
    redis.call('hset', KEYS[1], 'offset', offset, 'owner', me)
  else
    redis.call('hset', KEYS[1], 'offset', offset)
  end
  redis.call('expire', KEYS[1], ARGV[5])
  redis.call('xadd', KEYS[2], 'MAXLEN', size, string.format('%d-0', offset), 'm', ARGV[2])
  redis.call('expire', KEYS[2], ARGV[4])
end

local payload = string.format('%d', offset) .. ':' .. epoch .. ':' .. ARGV[2]
local route = ARGV[10] or ''
if route == '' then
  redis.call('publish', ARGV[1], payload)
elseif route == 'bus' then
  local seq = redis.call('hincrby', KEYS[5], 'bus', 1)
  redis.call('spublish', ARGV[1], string.format('%d', seq) .. ':' .. payload)
else
  local nodes
  if route == 'nodes' then
    nodes = redis.call('hkeys', KEYS[4])
  elseif route == 'node' then
    nodes = {ARGV[11]}
  else
    local entry = redis.call('hget', KEYS[4], ARGV[11])
    nodes = {}
    if entry then
      nodes[1] = string.sub(entry, 1, string.find(entry, '\n', 1, true) - 1)
    end
  end
  for _, node in ipairs(nodes) do
    local seq = redis.call('hincrby', KEYS[5], node, 1)
    redis.call('spublish', ARGV[12] .. node, string.format('%d', seq) .. ':' .. payload)
  end
end
return {epoch, offset}
