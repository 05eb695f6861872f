-- Forgets a connection and takes it out of every group it was in.
-- KEYS[1] connection registry, KEYS[2] user counts
-- ARGV[1] connection id, ARGV[2] node key prefix, ARGV[3] connection key prefix, ARGV[4] group key prefix
-- Returns the groups it was in (empty when the connection was unknown).
local _, groups = forget_connection(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return groups or {}
