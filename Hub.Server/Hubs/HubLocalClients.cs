using Hub.Server.Connections;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Hubs;

/// <summary>The hub's connections on this node (<see cref="ILocalClients"/>), through <see cref="RealtimeHub"/>'s lifetime manager.</summary>
internal sealed class HubLocalClients(HubLifetimeManager<RealtimeHub> hub) : ILocalClients
{
    public Task SendAllAsync(string method, object?[] args, CancellationToken cancellationToken = default) =>
        hub.SendAllAsync(method, args, cancellationToken);

    public Task SendAllExceptAsync(string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default) =>
        hub.SendAllExceptAsync(method, args, excluded, cancellationToken);

    public Task SendConnectionAsync(string connectionId, string method, object?[] args, CancellationToken cancellationToken = default) =>
        hub.SendConnectionAsync(connectionId, method, args, cancellationToken);

    public Task SendGroupAsync(string group, string method, object?[] args, CancellationToken cancellationToken = default) =>
        hub.SendGroupAsync(group, method, args, cancellationToken);

    public Task SendGroupExceptAsync(string group, string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default) =>
        hub.SendGroupExceptAsync(group, method, args, excluded, cancellationToken);

    public Task AddToGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default) =>
        hub.AddToGroupAsync(connectionId, group, cancellationToken);

    public Task RemoveFromGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default) =>
        hub.RemoveFromGroupAsync(connectionId, group, cancellationToken);
}
