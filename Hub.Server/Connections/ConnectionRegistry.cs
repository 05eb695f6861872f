using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hub.Server.Connections;

/// <summary>
/// This node's open connections by id, with the groups each is in here. The framework keeps its
/// lists private, but a node must be able to act on its own connections: close one for the HTTP
/// API, close them all for a drain, or register them again when presence lost them.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, LocalConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public IReadOnlyList<LocalConnection> All => [.. _connections.Values];

    public void Add(HubConnectionContext connection) => _connections[connection.ConnectionId] = new LocalConnection(connection);

    public void Remove(HubConnectionContext connection)
    {
        if (_connections.TryGetValue(connection.ConnectionId, out var local) && local.Context == connection)
        {
            _connections.TryRemove(connection.ConnectionId, out _);
        }
    }

    public void Joined(string connectionId, string group)
    {
        if (_connections.TryGetValue(connectionId, out var local))
        {
            local.Joined(group);
        }
    }

    public void Left(string connectionId, string group)
    {
        if (_connections.TryGetValue(connectionId, out var local))
        {
            local.Left(group);
        }
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
    public async Task<int> CloseAllAsync(string reason, TimeSpan spread, Action<string, Exception> onError)
    {
        var all = All;
        var started = TimeProvider.System.GetTimestamp();
        for (var i = 0; i < all.Count; i++)
        {
            // Connection i goes at i/n of the period: the last one just before it ends.
            var wait = (spread * i / all.Count) - TimeProvider.System.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
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
