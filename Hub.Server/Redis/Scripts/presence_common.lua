-- Shared by the scripts that take a connection out of a group (prepended to them).
-- Splits a registry entry "{node}\n{user}".
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

-- Removes one connection from one group's member hash and counts.
local function leave_group(prefix, group, id, node, user)
  if redis.call('hdel', prefix .. group .. ':conns', id) == 0 then
    return false
  end
  if user ~= '' then
    decrement(prefix .. group .. ':users', user)
  end
  decrement(prefix .. group .. ':nodes', node)
  return true
end

-- At most cap fields of a count hash: all of them when they fit, else a random sample,
-- so a snapshot of a huge group never transfers its whole member list.
local function capped_fields(key, count, cap)
  if count <= cap then
    return redis.call('hkeys', key)
  end
  return redis.call('hrandfield', key, cap)
end

-- Forgets one connection: registry, user count, its node's set, and every group it was in.
-- Returns its user id ('' when anonymous) and its groups, or nil when it was unknown.
local function forget_connection(registry, users, id, node_prefix, conn_prefix, group_prefix)
  local entry = redis.call('hget', registry, id)
  if not entry then
    return nil
  end
  local node, user = parse_entry(entry)
  redis.call('hdel', registry, id)
  if user ~= '' then
    decrement(users, user)
  end
  redis.call('srem', node_prefix .. node .. ':conns', id)

  local groups_key = conn_prefix .. id .. ':groups'
  local groups = redis.call('smembers', groups_key)
  for _, group in ipairs(groups) do
    leave_group(group_prefix, group, id, node, user)
  end
  redis.call('del', groups_key)
  return user, groups
end
