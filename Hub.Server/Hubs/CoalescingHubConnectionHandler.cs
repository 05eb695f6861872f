using Hub.Server.Coalescing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Hub.Server.Hubs;

/// <summary>
/// SignalR's connection handler for the hub, given each connection's output coalesced
/// (<see cref="CoalescingWriter"/>) before the hub writes to it: every transport's connection
/// passes here, SignalR's own (its WebSocket transport with <c>Hub:WebSockets:Direct=false</c>,
/// SSE, long polling) and the raw TCP endpoint's. A direct WebSocket's output is one already.
/// </summary>
internal sealed class CoalescingHubConnectionHandler(
    HubLifetimeManager<RealtimeHub> lifetimeManager,
    IHubProtocolResolver protocolResolver,
    IOptions<HubOptions> globalHubOptions,
    IOptions<HubOptions<RealtimeHub>> hubOptions,
    ILoggerFactory loggerFactory,
    IUserIdProvider userIdProvider,
    IServiceScopeFactory serviceScopeFactory)
    : HubConnectionHandler<RealtimeHub>(lifetimeManager, protocolResolver, globalHubOptions, hubOptions, loggerFactory, userIdProvider, serviceScopeFactory)
{
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        if (connection.Transport.Output is not CoalescingWriter)
        {
            connection.Transport = new CoalescingPipe(connection.Transport);
        }

        return base.OnConnectedAsync(connection);
    }
}
