using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Auth;

/// <summary>
/// Development identity (<c>Hub:Auth:Mode=None</c>): the <c>user</c> query parameter names the
/// user. The hub checks the id when the connection opens and refuses an invalid one.
/// </summary>
internal sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection)
    {
        var user = connection.Features.Get<IQueryUserFeature>()?.QueryUser ?? connection.GetHttpContext()?.Request.Query["user"].ToString();
        return string.IsNullOrEmpty(user) ? null : user;
    }
}
