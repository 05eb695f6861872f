using Microsoft.Extensions.Options;

namespace Hub.Server.Cors;

/// <summary>
/// Which pages may open a WebSocket to the node: browsers open them cross-site without asking
/// CORS first, so <c>Hub:Cors:Origins</c> is checked on the WebSocket request itself, whichever
/// way it comes (HTTP/1.1's upgrade, HTTP/2's extended CONNECT, the direct path). The node's own
/// pages (same host) are always allowed; with no origins listed, the check is off.
/// </summary>
internal sealed class WebSocketOrigins(IOptions<HubCorsOptions> options)
{
    private readonly HashSet<string> _allowed = options.Value.Origins.ToHashSet(StringComparer.OrdinalIgnoreCase);

    public bool IsChecked => _allowed.Count > 0;

    /// <summary>
    /// Whether the page that sent <paramref name="request"/> may open a WebSocket here. Two
    /// <c>Origin</c> headers name no one origin, and are refused.
    /// </summary>
    public bool Allows(HttpRequest request)
    {
        if (_allowed.Count == 0)
        {
            return true;
        }

        var origins = request.Headers.Origin;
        if (origins.Count == 0)
        {
            return true;
        }

        var origin = origins.Count == 1 ? origins[0] : null;
        return !string.IsNullOrEmpty(origin) &&
            (_allowed.Contains(origin) ||
             (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)));
    }
}
