using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Hub.Server.Limits;

/// <summary>
/// SignalR asks the resolver for a protocol once per connection, at the handshake: each
/// connection gets its own <see cref="RateLimitedProtocol"/> around the shared one, and with it
/// its own token bucket. Messages are still serialized once per protocol name for all of them.
/// </summary>
internal sealed class RateLimitingProtocolResolver(
    IEnumerable<IHubProtocol> protocols,
    IOptions<LimitsOptions> limits,
    HubMetrics metrics,
    TimeProvider time) : IHubProtocolResolver
{
    private readonly IReadOnlyList<IHubProtocol> _protocols = [.. protocols.DistinctBy(p => p.Name)];

    public IReadOnlyList<IHubProtocol> AllProtocols => _protocols;

    public IHubProtocol? GetProtocol(string protocolName, IReadOnlyList<string>? supportedProtocols)
    {
        if (supportedProtocols is not null && !supportedProtocols.Contains(protocolName, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var protocol = _protocols.FirstOrDefault(p => string.Equals(p.Name, protocolName, StringComparison.OrdinalIgnoreCase));
        return protocol is null ? null : new RateLimitedProtocol(protocol, limits.Value, metrics, time);
    }
}
