using System.Security.Claims;

namespace Hub.Server.Auth;

/// <summary>
/// The outcome of <see cref="HubRequestAuthorization"/>: the user when one was authenticated, until
/// when its credentials hold, or why the request was refused.
/// </summary>
internal readonly record struct HubAuthorizationResult(bool Allowed, ClaimsPrincipal? User, DateTimeOffset? ExpiresUtc, string? Error);
