using Hub.Server.Core;
using Hub.Server.Handlers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Connections;

/// <summary>
/// The framework's lifetime manager, keeping the <see cref="ConnectionRegistry"/> as well: it is
/// the one place that sees every connection open (before the hub's <c>OnConnectedAsync</c>)
/// and close (after the hub's <c>OnDisconnectedAsync</c>), and every local group change.
/// </summary>
internal sealed class RegisteringHubLifetimeManager<THub>(
    ConnectionRegistry registry,
    ApplicationHandler handler,
    ConnectDecisions decisions,
    IOptions<ClusterOptions> cluster,
    ILogger<DefaultHubLifetimeManager<THub>> logger) : DefaultHubLifetimeManager<THub>(logger)
    where THub : Microsoft.AspNetCore.SignalR.Hub
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        // A connection the application refused is never addressable, not even on this node.
        if (handler.Handler is not null && !await DecideAsync(connection))
        {
            return;
        }

        await base.OnConnectedAsync(connection);
        registry.Add(connection);
    }

    /// <summary>
    /// The application's say on a connection: the decision taken at its negotiate, or, for one that
    /// came without (TCP, a WebSocket that skipped negotiation), asked now. Its user id is set here,
    /// before anything reads it; its groups and a refusal go to the hub's connect
    /// (<see cref="ConnectOutcome"/>), which joins the groups or fails the connection with the reason.
    /// </summary>
    private async Task<bool> DecideAsync(HubConnectionContext connection)
    {
        try
        {
            if (!decisions.TryTake(connection.ConnectionId, out var decision))
            {
                var http = connection.GetHttpContext();
                decision = await handler.ConnectAsync(
                    new ConnectContext(connection.ConnectionId, connection.UserIdentifier, QueryOf(connection, http), cluster.Value.NodeId, http),
                    connection.ConnectionAborted);
            }

            if (decision!.User is { } user)
            {
                connection.UserIdentifier = user;
            }

            connection.Items[ConnectOutcome.Key] = new ConnectOutcome(null, decision.Groups);
            return true;
        }
        catch (HubRequestException ex)
        {
            connection.Items[ConnectOutcome.Key] = new ConnectOutcome(ex, null);
            return false;
        }
    }

    private static IQueryCollection QueryOf(HubConnectionContext connection, HttpContext? http) =>
        http?.Request.Query ?? connection.Features.Get<IConnectQueryFeature>()?.Query ?? QueryCollection.Empty;

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
