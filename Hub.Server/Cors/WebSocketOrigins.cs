using Microsoft.Extensions.Options;

namespace Hub.Server.Cors;

/// <summary>
/// Which pages may open a WebSocket to the node: browsers open them cross-site without asking
/// CORS first, so <c>Hub:Cors:Origins</c> is checked on the upgrade itself. The node's own pages
/// (same host) are always allowed; with no origins listed, the check is off.
/// </summary>
internal sealed class WebSocketOrigins(IOptions<HubCorsOptions> options)
{
    private readonly HashSet<string> _allowed = options.Value.Origins.ToHashSet(StringComparer.OrdinalIgnoreCase);

    public bool IsChecked => _allowed.Count > 0;

    public bool Allows(string? origin, string? host) =>
        _allowed.Count == 0 ||
        string.IsNullOrEmpty(origin) ||
        _allowed.Contains(origin) ||
        (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase));
}
