using System.Security.Claims;

namespace Hub.Server.Auth;

/// <summary>A bearer token checked outside an HTTP request: the user and until when, or why it was refused.</summary>
internal readonly record struct TokenCheck(ClaimsPrincipal? User, DateTime ExpiresUtc, string? Error)
{
    public static TokenCheck Refused(string error) => new(null, default, error);
}
