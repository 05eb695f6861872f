using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

/// <summary>
/// The framework's lifetime manager, keeping the <see cref="ConnectionRegistry"/> as well: it is
/// the one place that sees every connection open (before the hub's <c>OnConnectedAsync</c>)
/// and close (after the hub's <c>OnDisconnectedAsync</c>), and every local group change.
/// </summary>
internal sealed class RegisteringHubLifetimeManager<THub>(
    ConnectionRegistry registry,
    ILogger<DefaultHubLifetimeManager<THub>> logger) : DefaultHubLifetimeManager<THub>(logger)
    where THub : Microsoft.AspNetCore.SignalR.Hub
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        registry.Add(connection);
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        registry.Remove(connection);
        return base.OnDisconnectedAsync(connection);
    }

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        await base.AddToGroupAsync(connectionId, groupName, cancellationToken);
        registry.Joined(connectionId, groupName);
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        await base.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);
        registry.Left(connectionId, groupName);
    }
}
