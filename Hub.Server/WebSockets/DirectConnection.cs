using System.Security.Claims;

namespace Hub.Server.WebSockets;

/// <summary>
/// A WebSocket the direct path admitted: the hub connection's id (negotiated, or new), its user
/// when one was authenticated, until when its credentials hold, and the <c>user</c> query
/// parameter (<c>Hub:Auth:Mode=None</c>), and the whole query, for the application's handler.
/// </summary>
internal sealed record DirectConnection(string ConnectionId, ClaimsPrincipal? User, DateTime ExpiresUtc, string? QueryUser, IQueryCollection Query);
