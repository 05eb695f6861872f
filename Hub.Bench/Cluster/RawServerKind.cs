using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// The raw peer (<c>peers/raw</c>): Kestrel WebSockets broadcasting through one Redis channel,
/// nothing of SignalR, so its figures are the practical limit of fan-out on this machine.
/// </summary>
internal sealed class RawServerKind : ServerKind
{
    private readonly Lazy<string> _dll = new(ServerBuild.FindRawPeerDll);

    public override string Name => "raw";

    /// <remarks>Hub's settings (history, limits) mean nothing to it, and it has one build: it takes only Redis.</remarks>
    public override async Task<ServerNode> StartNodeAsync(int index, string redisConfiguration, IReadOnlyDictionary<string, string> settings, string? serverDll)
    {
        // The node subscribes to Redis before it listens, so any answer means it serves.
        var node = await ServerProcess.StartAsync(
            _dll.Value, $"raw-node-{index}", new Dictionary<string, string?> { ["Redis"] = redisConfiguration }, new Readiness(HttpMethod.Get, "/ready"));
        return new ServerNode(node.Process, new Endpoint(new Uri(node.BaseUrl, "/ws"), RawSocket.Protocol));
    }
}
