-- Shared by the presence scripts (prepended to them). Every script touches the keys of one slot
-- (one partition tag, docs/design/redis-cluster.md §2), and changes a count only when the
-- membership beside it changed, so a retried or reordered call leaves the counts right.

-- Splits an entry "{node}\n{user}".
local function parse_entry(entry)
  local sep = string.find(entry, '\n', 1, true)
  return string.sub(entry, 1, sep - 1), string.sub(entry, sep + 1)
end

-- Decrements a count in a hash, dropping the field at zero.
local function decrement(key, field)
  if redis.call('hincrby', key, field, -1) <= 0 then
    redis.call('hdel', key, field)
  end
end

-- At most cap fields of a count hash: all of them when they fit, else a random sample,
-- so a snapshot of a huge group never transfers its whole member list.
local function capped_fields(key, count, cap)
  if count <= cap then
    return redis.call('hkeys', key)
  end
  return redis.call('hrandfield', key, cap)
end

-- Takes an outbox entry "{unix ms}\n{node}\n{user}\n{groups…}" over: stamps it now, so another
-- caller leaves it alone while this one finishes it, and returns {node, user, groups...}.
local function take_pending(leaving, id, value, now)
  local sep = string.find(value, '\n', 1, true)
  local rest = string.sub(value, sep + 1)
  redis.call('hset', leaving, id, now .. '\n' .. rest)
  local record = {}
  for part in string.gmatch(rest .. '\n', '([^\n]*)\n') do
    record[#record + 1] = part
  end
  return record
end

-- Moves a connection's record from the registry of its partition to the partition's outbox
-- (leaving): its node set and count, and its group set, go at once; the caller then takes it
-- out of its groups and its user (other slots) and deletes the outbox entry, and a sweeper
-- finishes entries whose caller died. Returns {node, user, groups...}, or nil when unknown.
-- registry, node_counts, leaving: this partition's keys; node_prefix, groups_prefix/suffix
-- build the node set and the group set of this partition (the same tag, so the same slot).
local function forget_connection(registry, node_counts, leaving, id, node_prefix, groups_prefix, groups_suffix, now)
  local entry = redis.call('hget', registry, id)
  if not entry then
    return nil
  end
  local node, user = parse_entry(entry)
  -- The registry entry, the node set and the node count go together (as presence_conn_add
  -- adds them): a purge has already popped the id from the node set.
  redis.call('hdel', registry, id)
  redis.call('srem', node_prefix .. node, id)
  decrement(node_counts, node)
  local groups_key = groups_prefix .. id .. groups_suffix
  local groups = redis.call('smembers', groups_key)
  redis.call('del', groups_key)
  local record = {node, user}
  for _, group in ipairs(groups) do
    record[#record + 1] = group
  end
  redis.call('hset', leaving, id, now .. '\n' .. table.concat(record, '\n'))
  return record
end
