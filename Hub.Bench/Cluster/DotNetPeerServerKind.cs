using System.Globalization;
using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// A peer built from <c>peers/</c> as a .NET project of its own: the raw peer (Kestrel WebSockets
/// broadcasting through one Redis channel, nothing of SignalR: the practical limit of fan-out on
/// this machine) and the plain SignalR peer (a hub with the stock Redis backplane,
/// <c>AddStackExchangeRedis</c>: what users would pick instead of Hub).
/// </summary>
/// <param name="findDll">Finds the peer's build (<see cref="ServerBuild"/>).</param>
/// <param name="path">Where its clients connect.</param>
internal sealed class DotNetPeerServerKind(string name, Func<string> findDll, string path, ILoadProtocol protocol, IReadOnlyDictionary<string, string?>? peerSettings = null) : ServerKind
{
    private readonly Lazy<string> _dll = new(findDll);

    /// <summary>The raw peer (<c>peers/raw</c>).</summary>
    public static DotNetPeerServerKind Raw { get; } = new("raw", ServerBuild.FindRawPeerDll, "/ws", RawSocket.Protocol);

    /// <summary>The plain SignalR peer (<c>peers/signalr</c>): its clients speak the protocol Hub's do.</summary>
    public static DotNetPeerServerKind SignalR { get; } = new("signalr", ServerBuild.FindSignalRPeerDll, "/hub", HubSocket.WebSocket(JsonHubCodec.Instance));

    public override string Name => name;

    /// <summary>
    /// The raw peer with each broadcast frame padded to at least <paramref name="frameBytes"/>
    /// (<c>--raw-frame-bytes</c>): its receivers then read as many bytes per message as Hub's, whose
    /// frames carry the whole message (ids, stream, offset, the text twice as <c>data</c> and <c>text</c>).
    /// </summary>
    public static DotNetPeerServerKind RawWithFrameBytes(int frameBytes) =>
        new($"raw {frameBytes} B", ServerBuild.FindRawPeerDll, "/ws", RawSocket.Protocol, new Dictionary<string, string?> { ["FrameBytes"] = frameBytes.ToString(CultureInfo.InvariantCulture) });

    /// <remarks>Hub's settings (history, limits) mean nothing to a peer, and it has one build: it takes only Redis and its own settings.</remarks>
    public override async Task<ServerNode> StartNodeAsync(int index, string redisConfiguration, IReadOnlyDictionary<string, string> settings, string? serverDll)
    {
        var environment = new Dictionary<string, string?>(peerSettings ?? new Dictionary<string, string?>()) { ["Redis"] = redisConfiguration };

        // Each peer answers /ready only once it has subscribed to Redis, so a ready node misses nothing.
        var node = await ServerProcess.StartAsync(_dll.Value, $"{name}-node-{index}", environment, new Readiness(HttpMethod.Get, "/ready"));
        return new ServerNode(node.Process, new Endpoint(new Uri(node.BaseUrl, path), protocol));
    }
}
