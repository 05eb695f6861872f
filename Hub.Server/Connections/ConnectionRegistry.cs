using System.Collections.Concurrent;
using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hub.Server.Connections;

/// <summary>
/// This node's open connections by id, with the groups each is in here. The framework keeps its
/// lists private, but a node must be able to act on its own connections: close one for the HTTP
/// API, close them all for a drain, or register them again when presence lost them. It also keeps
/// the <see cref="LocalStreams"/>: which streams have recipients here.
/// </summary>
internal sealed class ConnectionRegistry(LocalStreams streams, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LocalConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public IReadOnlyList<LocalConnection> All => [.. _connections.Values];

    public void Add(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = new LocalConnection(connection);
        streams.Add(Target.All.Stream);
        streams.Add(Target.Connection(connection.ConnectionId).Stream, startsEmpty: true);
    }

    public void Remove(HubConnectionContext connection)
    {
        if (_connections.TryGetValue(connection.ConnectionId, out var local) && local.Context == connection &&
            _connections.TryRemove(connection.ConnectionId, out _))
        {
            local.Closed(streams);
            streams.Remove(Target.Connection(connection.ConnectionId).Stream);
            streams.Remove(Target.All.Stream);
        }
    }

    public void Joined(string connectionId, string group)
    {
        if (_connections.TryGetValue(connectionId, out var local))
        {
            local.Joined(group, streams);
        }
    }

    public void Left(string connectionId, string group)
    {
        if (_connections.TryGetValue(connectionId, out var local))
        {
            local.Left(group, streams);
        }
    }

    /// <summary>This node's connections that receive <paramref name="stream"/>.</summary>
    public IReadOnlyList<LocalConnection> Receiving(string stream)
    {
        if (!Target.TryParseStream(stream, out var target))
        {
            return [];
        }

        var group = target.Kind == TargetKind.User ? LocalStreams.UserGroup(target.Id!) : target.Id;
        return target.Kind switch
        {
            TargetKind.All => All,
            TargetKind.Connection => _connections.TryGetValue(target.Id!, out var local) ? [local] : [],
            _ => [.. _connections.Values.Where(c => c.Groups.Contains(group))],
        };
    }

    /// <summary>
    /// Closes a connection of this node with a SignalR close message, so the official clients
    /// reconnect (<paramref name="allowReconnect"/>) or stop for good. False when it is not here.
    /// </summary>
    public async Task<bool> CloseAsync(string connectionId, string reason, bool allowReconnect)
    {
        if (!_connections.TryGetValue(connectionId, out var local))
        {
            return false;
        }

        var connection = local.Context;

        try
        {
            // Abort alone would send a close without a reason; this one goes first and the client
            // acts on the first close it reads.
            await connection.WriteAsync(new CloseMessage(reason, allowReconnect));
        }
        finally
        {
            connection.Abort();
        }

        return true;
    }

    /// <summary>
    /// Asks every connection here to reconnect (a close with <c>allowReconnect: true</c>), one
    /// after another spread evenly over <paramref name="spread"/>, so the nodes they land on are
    /// not hit by all of them at once. Returns how many were closed.
    /// </summary>
    public Task<int> CloseAllAsync(string reason, TimeSpan spread, Action<string, Exception> onError) =>
        CloseEachAsync(All, reason, spread, onError);

    /// <summary>Asks the given connections to reconnect, spread as <see cref="CloseAllAsync"/> does.</summary>
    public async Task<int> CloseEachAsync(IReadOnlyList<LocalConnection> all, string reason, TimeSpan spread, Action<string, Exception> onError)
    {
        var started = time.GetTimestamp();
        for (var i = 0; i < all.Count; i++)
        {
            // Connection i goes at i/n of the period: the last one just before it ends.
            var wait = (spread * i / all.Count) - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time);
            }

            var id = all[i].Context.ConnectionId;
            try
            {
                await CloseAsync(id, reason, allowReconnect: true).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex)
            {
                onError(id, ex);
            }
        }

        return all.Count;
    }
}
