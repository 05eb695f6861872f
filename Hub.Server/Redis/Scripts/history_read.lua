-- Reads a stream's position and the messages after an offset, consistently.
-- KEYS[1] stream meta hash, KEYS[2] stream log
-- ARGV[1] first offset wanted, ARGV[2] limit
-- Returns {epoch, offset, oldest offset kept (0 = none), {entries}, lineage}: the lineage is the
-- ended epochs this one continues ("epoch:offset" pairs, newest last; '' = none), kept by publish.lua
-- on a Redis Cluster
local meta = redis.call('hmget', KEYS[1], 'epoch', 'offset', 'lineage')
local oldest = 0
local first = redis.call('xrange', KEYS[2], '-', '+', 'COUNT', 1)
if #first > 0 then
  oldest = tonumber(string.match(first[1][1], '^(%d+)'))
end
local entries = {}
if tonumber(ARGV[2]) > 0 then
  entries = redis.call('xrange', KEYS[2], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
end
return {meta[1] or '', tonumber(meta[2] or '0'), oldest, entries, meta[3] or ''}
