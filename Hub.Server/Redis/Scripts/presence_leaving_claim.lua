-- Claims the outbox entries of a partition whose caller did not finish them in time (its node
-- died between the steps of a forget): each is stamped again, so another sweeper leaves it
-- alone while this one finishes it.
-- KEYS[1] outbox (leaving)
-- ARGV[1] stamped before this is overdue (unix ms), ARGV[2] now (unix ms), ARGV[3] most entries
-- Returns {id, count, node, user, groups..., ...} as presence_purge_batch.
local out = {}
local taken = 0
local all = redis.call('hgetall', KEYS[1])
for i = 1, #all, 2 do
  if taken >= tonumber(ARGV[3]) then
    break
  end
  local id, value = all[i], all[i + 1]
  if tonumber(string.match(value, '^(%d+)')) < tonumber(ARGV[1]) then
    local record = take_pending(KEYS[1], id, value, ARGV[2])
    out[#out + 1] = id
    out[#out + 1] = #record
    for _, v in ipairs(record) do
      out[#out + 1] = v
    end
    taken = taken + 1
  end
end
return out
