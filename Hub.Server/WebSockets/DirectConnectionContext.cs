using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Hub.Server.WebSockets;

/// <summary>
/// The connection SignalR's handler is given for a direct WebSocket: Kestrel's socket with the
/// WebSocket as its transport and the hub's connection id. SignalR aborts every connection as it
/// ends; here that ends the WebSocket cleanly (close frame, the client's answer awaited) instead
/// of dropping the socket with the last messages still on their way.
/// </summary>
internal sealed class DirectConnectionContext(ConnectionContext socket, WebSocketConnection webSocket, string connectionId) : ConnectionContext
{
    public override string ConnectionId { get; set; } = connectionId;

    public override IFeatureCollection Features => socket.Features;

    public override IDictionary<object, object?> Items
    {
        get => socket.Items;
        set => socket.Items = value;
    }

    public override IDuplexPipe Transport { get; set; } = webSocket;

    public override CancellationToken ConnectionClosed
    {
        get => socket.ConnectionClosed;
        set => socket.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => socket.LocalEndPoint;
        set => socket.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => socket.RemoteEndPoint;
        set => socket.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => webSocket.End();
}
