using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// A kind of server the bench starts as the nodes of a round: Hub (its clients over WebSockets
/// or over its TCP endpoint, speaking JSON or MessagePack), or a peer it is compared with. All
/// of them share the bench's Redis.
/// </summary>
internal abstract class ServerKind
{
    /// <summary>Hub nodes, clients over WebSockets to <c>/hub</c>: what every scenario runs unless a variant says otherwise.</summary>
    public static readonly ServerKind Hub = new HubServerKind(tcp: false, JsonHubCodec.Instance);

    /// <summary>Hub nodes, clients over the raw TCP endpoint (<c>Hub:Tcp:Port</c>).</summary>
    public static readonly ServerKind HubTcp = new HubServerKind(tcp: true, JsonHubCodec.Instance);

    /// <summary>Hub nodes, clients over WebSockets speaking SignalR's MessagePack protocol.</summary>
    public static readonly ServerKind HubMessagePack = new HubServerKind(tcp: false, MessagePackHubCodec.Instance);

    /// <summary>Hub nodes, clients over the raw TCP endpoint speaking SignalR's MessagePack protocol.</summary>
    public static readonly ServerKind HubTcpMessagePack = new HubServerKind(tcp: true, MessagePackHubCodec.Instance);

    /// <summary>What <c>--peer NAME</c> runs side by side with Hub.</summary>
    public static IReadOnlyDictionary<string, ServerKind> Peers { get; } = new Dictionary<string, ServerKind>(StringComparer.Ordinal)
    {
        ["tcp"] = HubTcp,
        ["raw"] = DotNetPeerServerKind.Raw,
        ["socketio"] = new SocketIoServerKind(),
        ["signalr"] = DotNetPeerServerKind.SignalR,
    };

    public abstract string Name { get; }

    /// <summary>The same server with its clients speaking <paramref name="codec"/> (<c>--protocol</c>); a peer with a protocol of its own stays as it is.</summary>
    public virtual ServerKind WithProtocol(IHubCodec codec) => this;

    /// <summary>Starts node <paramref name="index"/> (1-based) and returns once it serves.</summary>
    /// <param name="serverDll">Another build to run, for kinds that have one (an A/B of Hub); null = this tree's.</param>
    public abstract Task<ServerNode> StartNodeAsync(int index, string redisConfiguration, IReadOnlyDictionary<string, string> settings, string? serverDll);
}

/// <summary>One node the bench started: its process (whose CPU time is the server's) and where to connect.</summary>
internal sealed record ServerNode(ChildProcess Process, Endpoint Endpoint) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

/// <summary>Hub.Server nodes, configured through their environment; their clients speak <paramref name="codec"/>.</summary>
internal sealed class HubServerKind(bool tcp, IHubCodec codec) : ServerKind
{
    private readonly Lazy<string> _serverDll = new(ServerBuild.FindServerDll);

    public override string Name => (codec == JsonHubCodec.Instance ? "hub" : $"hub {codec.Name}") + (tcp ? " over tcp" : "");

    public override ServerKind WithProtocol(IHubCodec other) => other == codec ? this : new HubServerKind(tcp, other);

    public override async Task<ServerNode> StartNodeAsync(int index, string redisConfiguration, IReadOnlyDictionary<string, string> settings, string? serverDll)
    {
        var all = settings.ToDictionary(s => s.Key, string? (s) => s.Value);
        all["Hub:Redis"] = redisConfiguration;
        all["Hub:NodeId"] = $"bench-node-{index}";
        // The rate limits (per connection, per API key) protect a production node; here they would measure themselves.
        all["Hub:Limits:MessagesPerSecond"] = "1000000";
        all["Hub:Api:Keys:0"] = ApiCaller.Key;
        all["Hub:Api:RequestsPerSecond"] = "1000000";
        var tcpPort = tcp ? Ports.Free() : 0;
        if (tcp)
        {
            all["Hub:Tcp:Port"] = tcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var node = await ServerProcess.StartAsync(serverDll ?? _serverDll.Value, $"bench-node-{index}", all, Readiness.HubNegotiate);
        return new ServerNode(
            node.Process,
            tcp ? new Endpoint(new Uri($"tcp://127.0.0.1:{tcpPort}"), HubSocket.Tcp(codec)) : new Endpoint(new Uri(node.BaseUrl, "/hub"), HubSocket.WebSocket(codec)));
    }
}
