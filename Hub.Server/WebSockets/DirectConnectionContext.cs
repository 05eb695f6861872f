using System.Collections;
using System.IO.Pipelines;
using System.Net;
using System.Security.Claims;
using Hub.Server.Auth;
using Hub.Server.Handlers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Hub.Server.WebSockets;

/// <summary>
/// The connection SignalR's handler is given for a direct WebSocket: Kestrel's socket with the
/// WebSocket as its transport, the hub's connection id, and the features the hub asks for
/// (format, user) answered here, the rest by Kestrel's connection; nothing more is allocated
/// per connection for them. SignalR aborts every connection as it ends; here that ends the
/// WebSocket cleanly (close frame, the client's answer awaited) instead of dropping the socket
/// with the last messages still on their way.
/// </summary>
internal sealed class DirectConnectionContext(ConnectionContext socket, WebSocketConnection webSocket, string connectionId, ClaimsPrincipal? user, string? queryUser, IQueryCollection query)
    : ConnectionContext, IFeatureCollection, IConnectionUserFeature, IQueryUserFeature, IConnectQueryFeature
{
    public override string ConnectionId { get; set; } = connectionId;

    public override IFeatureCollection Features => this;

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

    public ClaimsPrincipal? User { get; set; } = user;

    public string? QueryUser { get; } = queryUser;

    public IQueryCollection Query { get; } = query;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => socket.Features.Revision;

    object? IFeatureCollection.this[Type key]
    {
        get => Own(key) ?? socket.Features[key];
        set => socket.Features[key] = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => webSocket.End();

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)(Own(typeof(TFeature)) ?? socket.Features[typeof(TFeature)]);

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => socket.Features[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator() =>
        OwnFeatures().Concat(socket.Features.Where(f => Own(f.Key) is null)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private object? Own(Type key) =>
        key == typeof(ITransferFormatFeature) ? webSocket
        : key == typeof(IConnectionUserFeature) ? (User is null ? null : this)
        : key == typeof(IQueryUserFeature) ? (QueryUser is null ? null : this)
        : key == typeof(IConnectQueryFeature) ? this
        : null;

    private IEnumerable<KeyValuePair<Type, object>> OwnFeatures() =>
        new[] { typeof(ITransferFormatFeature), typeof(IConnectionUserFeature), typeof(IQueryUserFeature), typeof(IConnectQueryFeature) }
            .Select(key => (key, feature: Own(key)))
            .Where(f => f.feature is not null)
            .Select(f => new KeyValuePair<Type, object>(f.key, f.feature!));
}
