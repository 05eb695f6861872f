using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hub.Server.Connections;

/// <summary>
/// This node's open connections by id. The framework keeps its list private, but a node must be
/// able to act on one of its own connections by id: close it for the HTTP API or a drain.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);

    public void Add(HubConnectionContext connection) => _connections[connection.ConnectionId] = connection;

    public void Remove(HubConnectionContext connection) =>
        _connections.TryRemove(KeyValuePair.Create(connection.ConnectionId, connection));

    /// <summary>
    /// Closes a connection of this node with a SignalR close message, so the official clients
    /// reconnect (<paramref name="allowReconnect"/>) or stop for good. False when it is not here.
    /// </summary>
    public async Task<bool> CloseAsync(string connectionId, string reason, bool allowReconnect)
    {
        if (!_connections.TryGetValue(connectionId, out var connection))
        {
            return false;
        }

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
}
