using Hub.Client;
using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.Presence;

/// <summary>Presence for the single-node default: the same bookkeeping as Redis, in dictionaries under one lock.</summary>
internal sealed class InMemoryPresenceStore(IOptions<ClusterOptions> cluster) : IPresenceStore
{
    private readonly string _nodeId = cluster.Value.NodeId;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ConnectionEntry> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _groupsOfConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupPresence> _groups = new(StringComparer.Ordinal);
    private readonly GroupPresence _hub = new();

    public Task AddConnectionAsync(ConnectionEntry connection, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_connections.TryAdd(connection.ConnectionId, connection))
            {
                _hub.Add(connection);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_connections.Remove(connectionId, out var connection))
            {
                return Task.FromResult<IReadOnlyList<string>>([]);
            }

            _hub.Remove(connection);
            if (!_groupsOfConnection.Remove(connectionId, out var groups))
            {
                return Task.FromResult<IReadOnlyList<string>>([]);
            }

            foreach (var group in groups)
            {
                RemoveFromGroup(group, connection);
            }

            return Task.FromResult<IReadOnlyList<string>>([.. groups]);
        }
    }

    public Task<ConnectionEntry?> FindConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_connections.GetValueOrDefault(connectionId));
        }
    }

    // The registry here is the source of the node and user: the caller's entry only names the connection.
    public Task<JoinOutcome> JoinAsync(string group, ConnectionEntry joining, int maxGroupsPerConnection, CancellationToken cancellationToken)
    {
        var connectionId = joining.ConnectionId;
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection))
            {
                return Task.FromResult(JoinOutcome.UnknownConnection);
            }

            var groups = _groupsOfConnection.TryGetValue(connectionId, out var existing) ? existing : [];
            if (groups.Contains(group))
            {
                return Task.FromResult(JoinOutcome.AlreadyMember);
            }

            if (maxGroupsPerConnection > 0 && groups.Count >= maxGroupsPerConnection)
            {
                return Task.FromResult(JoinOutcome.TooManyGroups);
            }

            groups.Add(group);
            _groupsOfConnection[connectionId] = groups;
            if (!_groups.TryGetValue(group, out var presence))
            {
                _groups[group] = presence = new GroupPresence();
            }

            presence.Add(connection);
            return Task.FromResult(JoinOutcome.Joined);
        }
    }

    public Task<bool> LeaveAsync(string group, string connectionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection) ||
                !_groupsOfConnection.TryGetValue(connectionId, out var groups) ||
                !groups.Remove(group))
            {
                return Task.FromResult(false);
            }

            RemoveFromGroup(group, connection);
            return Task.FromResult(true);
        }
    }

    public Task<bool> IsMemberAsync(string group, string connectionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_groupsOfConnection.TryGetValue(connectionId, out var groups) && groups.Contains(group));
        }
    }

    public Task<PresenceSnapshot> GetSnapshotAsync(string? group, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (group is null)
            {
                return Task.FromResult(_hub.ToSnapshot(null, alwaysListNode: _nodeId));
            }

            return Task.FromResult(_groups.TryGetValue(group, out var presence)
                ? presence.ToSnapshot(group, alwaysListNode: null)
                : new PresenceSnapshot { Group = group });
        }
    }

    public Task<long> CountConnectionsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<long>(_connections.Count);
        }
    }

    public Task<long> CountLiveNodesAsync(CancellationToken cancellationToken) => Task.FromResult(1L);

    public Task<bool> HeartbeatAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task SignOffAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // One node in one process: no other node can die, and nothing outlives a restart.
    public Task<IReadOnlyList<string>> FindSilentNodesAsync(DateTimeOffset silentSince, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<DepartedConnection>> PurgeNodeAsync(string node, DateTimeOffset? unlessAliveSince, int batch, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DepartedConnection>>([]);

    // Every change here is one step under the lock: none is ever left half done.
    public Task<IReadOnlyList<DepartedConnection>> FinishOverdueAsync(TimeSpan overdue, int batch, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DepartedConnection>>([]);

    private void RemoveFromGroup(string group, ConnectionEntry connection)
    {
        if (_groups.TryGetValue(group, out var presence))
        {
            presence.Remove(connection);
            if (presence.Connections == 0)
            {
                _groups.Remove(group);
            }
        }
    }

    /// <summary>Counts of one group (or of the hub), kept as members come and go.</summary>
    private sealed class GroupPresence
    {
        private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _nodes = new(StringComparer.Ordinal);

        public int Connections { get; private set; }

        public void Add(ConnectionEntry connection)
        {
            Connections++;
            Increment(_nodes, connection.Node, 1);
            if (connection.User is not null)
            {
                Increment(_users, connection.User, 1);
            }
        }

        public void Remove(ConnectionEntry connection)
        {
            Connections--;
            Increment(_nodes, connection.Node, -1);
            if (connection.User is not null)
            {
                Increment(_users, connection.User, -1);
            }
        }

        public PresenceSnapshot ToSnapshot(string? group, string? alwaysListNode)
        {
            var nodes = _nodes.Select(n => new NodePresence { Id = n.Key, Connections = n.Value }).ToList();
            if (alwaysListNode is not null && !_nodes.ContainsKey(alwaysListNode))
            {
                nodes.Add(new NodePresence { Id = alwaysListNode, Connections = 0 });
            }

            return new PresenceSnapshot
            {
                Group = group,
                Connections = Connections,
                UserCount = _users.Count,
                Users = [.. _users.Keys.Order(StringComparer.Ordinal).Take(PresenceLimits.MaxListedUsers)],
                Nodes = [.. nodes.OrderBy(n => n.Id, StringComparer.Ordinal)],
            };
        }

        private static void Increment(Dictionary<string, int> counts, string key, int by)
        {
            var value = counts.GetValueOrDefault(key) + by;
            if (value > 0)
            {
                counts[key] = value;
            }
            else
            {
                counts.Remove(key);
            }
        }
    }
}
