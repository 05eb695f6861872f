using Hub.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// Base of the behaviour suites: each behaviour is written once and runs against one in-memory
/// node and against two nodes sharing a real Redis.
/// </summary>
public abstract class ClusterTest(Topology topology)
{
    private readonly List<IAsyncDisposable> _owned = [];

    protected Topology Topology { get; } = topology;

    protected TestNode NodeA { get; private set; } = null!;

    /// <summary>The second node; the same as <see cref="NodeA"/> in the in-memory topology.</summary>
    protected TestNode NodeB { get; private set; } = null!;

    protected RedisServer? Redis { get; private set; }

    /// <summary>The application each node is: the stand-alone server when null.</summary>
    protected virtual AppBuilder? App => null;

    /// <summary>Settings every node of the test gets, beyond the topology's own.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    [SetUp]
    public async Task StartNodes()
    {
        if (Topology == Topology.Redis)
        {
            Redis = await SharedRedis.GetAsync();
            await Redis.FlushAllAsync().Within();
            NodeA = Own(await StartNodeAsync("node-a"));
            NodeB = Own(await StartNodeAsync("node-b"));
        }
        else
        {
            NodeA = NodeB = Own(await StartNodeAsync("node-a"));
        }
    }

    [TearDown]
    public async Task StopAll()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _owned.Clear();
    }

    protected Task<TestNode> StartNodeAsync(string nodeId, int port = 0, IReadOnlyDictionary<string, string?>? extra = null,
        Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        if (Redis is not null)
        {
            settings["Hub:Redis"] = Redis.Configuration;
        }

        return TestNode.StartAsync(nodeId, settings, port, configure: services is null ? null : builder => services(builder.Services), app: App);
    }

    /// <summary>A node in its own process, on this test's Redis, for deaths that must be real (SIGKILL).</summary>
    protected async Task<NodeProcess> StartNodeProcessAsync(string nodeId)
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Hub:Redis"] = Redis?.Configuration ?? throw new InvalidOperationException("A node process needs the Redis topology."),
        };
        return Own(await NodeProcess.StartAsync(nodeId, settings));
    }

    protected T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>
    /// Waits until each client has a broadcast that <paramref name="sender"/> sends now. Every node
    /// delivers in the bus's one order, so whatever was published before it has arrived by then:
    /// what a client still lacks afterwards was not delivered to it.
    /// </summary>
    protected static async Task DrainAsync(TestClient sender, params TestClient[] clients)
    {
        var marker = await sender.Client.SendAsync("marker").Within();
        foreach (var client in clients)
        {
            await client.Messages.WaitForAsync(m => m.Id == marker.Id, "a marker broadcast sent after the rest");
        }
    }

    protected async Task<TestClient> ConnectAsync(HubNode node, string? user = null, HubProtocolKind protocol = HubProtocolKind.Json)
    {
        var client = Own(new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, user), Protocol = protocol }));
        await client.Client.StartAsync().Within();
        return client;
    }
}
