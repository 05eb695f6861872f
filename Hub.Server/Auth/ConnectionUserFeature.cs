using System.Security.Claims;
using Microsoft.AspNetCore.Connections.Features;

namespace Hub.Server.Auth;

/// <summary>The user of a connection authenticated without HTTP's pipeline (TCP, a WebSocket served before HTTP).</summary>
internal sealed class ConnectionUserFeature(ClaimsPrincipal user) : IConnectionUserFeature
{
    public ClaimsPrincipal? User { get; set; } = user;
}
