using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Auth;

/// <summary>
/// Identity in <c>Hub:Auth:Mode=Jwt</c>: the token's <c>sub</c> claim, which the bearer handler
/// has already checked is present and a valid user id. The <c>user</c> query parameter is ignored.
/// </summary>
internal sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User.FindFirst(HubClaims.Subject)?.Value;
}
