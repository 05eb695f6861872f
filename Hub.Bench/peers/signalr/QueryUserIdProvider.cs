using Microsoft.AspNetCore.SignalR;

namespace Hub.Bench.SignalRPeer;

/// <summary>The peer has no sign-in: a connection is the user its <c>?user=</c> names, if any.</summary>
internal sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) =>
        connection.GetHttpContext()?.Request.Query["user"].FirstOrDefault();
}
