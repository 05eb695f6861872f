using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

/// <summary>One of this node's connections and the groups it is in here.</summary>
internal sealed class LocalConnection(HubConnectionContext context)
{
    // Copied on write: a connection is in few groups (Hub:Limits:MaxGroupsPerConnection at most)
    // and they change seldom, while a node holds many connections, most in one group or none.
    private string[] _groups = [];
    private readonly Lock _gate = new();
    private bool _closed;

    public HubConnectionContext Context { get; } = context;

    public IReadOnlyCollection<string> Groups => Volatile.Read(ref _groups);

    /// <summary>
    /// Changes the groups and what the node counts as their recipients (<paramref name="streams"/>)
    /// in one step per connection, so a join racing the connection's close never leaves a stream
    /// counted for a connection that is gone.
    /// </summary>
    public void Joined(string group, LocalStreams streams)
    {
        lock (_gate)
        {
            if (!_closed && Array.IndexOf(_groups, group) < 0)
            {
                Volatile.Write(ref _groups, [.. _groups, group]);
                streams.Add(LocalStreams.StreamOf(group));
            }
        }
    }

    /// <inheritdoc cref="Joined"/>
    public void Left(string group, LocalStreams streams)
    {
        lock (_gate)
        {
            if (!_closed && Array.IndexOf(_groups, group) >= 0)
            {
                Volatile.Write(ref _groups, Array.FindAll(_groups, g => g != group));
                streams.Remove(LocalStreams.StreamOf(group));
            }
        }
    }

    /// <summary>The connection closed: its groups are no longer received here.</summary>
    public void Closed(LocalStreams streams)
    {
        lock (_gate)
        {
            _closed = true;
            foreach (var group in _groups)
            {
                streams.Remove(LocalStreams.StreamOf(group));
            }
        }
    }
}
