-- Forgets up to a batch of one node's connections in one partition, through the outbox. SPOP
-- hands each connection to exactly one caller, so when several nodes purge the same dead node,
-- each departure is announced once.
-- KEYS[1] registry, KEYS[2] node counts, KEYS[3] outbox (leaving), KEYS[4] the node's connection set
-- ARGV[1] batch size, ARGV[2] node set prefix, ARGV[3] group set prefix, ARGV[4] group set suffix, ARGV[5] now (unix ms)
-- Returns {id, count, node, user, groups..., id, count, ...} (count = the record's length).
local out = {}
for _, id in ipairs(redis.call('spop', KEYS[4], ARGV[1])) do
  local record = forget_connection(KEYS[1], KEYS[2], KEYS[3], id, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
  if record then
    out[#out + 1] = id
    out[#out + 1] = #record
    for _, value in ipairs(record) do
      out[#out + 1] = value
    end
  end
end
return out
