using Hub.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// Base of the behaviour suites: each behaviour is written once and runs against one in-memory
/// node and against two nodes sharing a real Redis.
/// </summary>
public abstract class ClusterTest(Topology topology)
{
    private readonly List<IAsyncDisposable> _owned = [];
    private bool _clockUsed;

    protected Topology Topology { get; } = topology;

    protected TestNode NodeA { get; private set; } = null!;

    /// <summary>The second node; the same as <see cref="NodeA"/> in the in-memory topology.</summary>
    protected TestNode NodeB { get; private set; } = null!;

    protected RedisServer? Redis { get; private set; }

    /// <summary>The Redis Cluster of the <see cref="Topology.RedisCluster"/> fixture: one for all its tests, as it takes seconds to start.</summary>
    private protected RedisCluster? RedisCluster { get; private set; }

    /// <summary>Whether the nodes are two, sharing Redis (one server or a cluster).</summary>
    protected bool IsMultiNode => Topology is Topology.Redis or Topology.RedisCluster;

    /// <summary><c>Hub:Redis</c> of the topology; null in memory.</summary>
    protected string? RedisConfiguration => Redis?.Configuration ?? RedisCluster?.Configuration;

    [OneTimeSetUp]
    public async Task StartRedisCluster()
    {
        if (Topology == Topology.RedisCluster)
        {
            RedisCluster = await RedisCluster.StartAsync().Within(TimeSpan.FromSeconds(60));
        }
    }

    [OneTimeTearDown]
    public async Task StopRedisCluster()
    {
        if (RedisCluster is not null)
        {
            await RedisCluster.DisposeAsync();
            RedisCluster = null;
        }
    }

    /// <summary>The application each node is: the stand-alone server when null.</summary>
    protected virtual AppBuilder? App => null;

    /// <summary>Settings every node of the test gets, beyond the topology's own.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>
    /// The clock of the nodes that <see cref="OnFakeTime"/> names, which only the test moves: what
    /// waits on a node's timers (a token bucket's refill, history's expiry, a drain) then takes no
    /// real time. It starts at the real time, so what such a node writes to Redis (its heartbeat)
    /// reads as current to the other nodes.
    /// </summary>
    protected FakeTimeProvider Clock { get; private set; } = null!;

    /// <summary>Whether node <paramref name="nodeId"/> runs on <see cref="Clock"/> instead of real time.</summary>
    protected virtual bool OnFakeTime(string nodeId) => false;

    [SetUp]
    public async Task StartNodes()
    {
        Clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _clockUsed = false;
        if (Topology == Topology.Redis)
        {
            Redis = await SharedRedis.GetAsync();
            await Redis.FlushAllAsync().Within();
            NodeA = Own(await StartNodeAsync("node-a"));
            NodeB = Own(await StartNodeAsync("node-b"));
        }
        else if (Topology == Topology.RedisCluster)
        {
            await RedisCluster!.FlushAllAsync().Within();
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
        // A node on the fake clock drains on it when it stops: the clock runs until all have stopped.
        await (_clockUsed ? RunClockUntilAsync(DisposeOwnedAsync()) : DisposeOwnedAsync());
    }

    /// <summary>
    /// Moves <see cref="Clock"/> on, 50 ms every 10 ms, until <paramref name="task"/> ends: on the
    /// nodes that run on it, time goes five times faster than it really does.
    /// </summary>
    protected async Task RunClockUntilAsync(Task task)
    {
        while (!task.IsCompleted)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.WhenAny(task, Task.Delay(10));
        }

        await task;
    }

    private async Task DisposeOwnedAsync()
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

        if (RedisConfiguration is { } redis)
        {
            settings["Hub:Redis"] = redis;
        }

        var onFakeTime = OnFakeTime(nodeId);
        _clockUsed |= onFakeTime;
        return TestNode.StartAsync(nodeId, settings, port, configure: builder =>
        {
            if (onFakeTime)
            {
                builder.Services.AddSingleton<TimeProvider>(Clock);
            }

            services?.Invoke(builder.Services);
        }, app: App);
    }

    /// <summary>A node in its own process, on this test's Redis, for deaths that must be real (SIGKILL).</summary>
    protected async Task<NodeProcess> StartNodeProcessAsync(string nodeId, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Hub:Redis"] = RedisConfiguration ?? throw new InvalidOperationException("A node process needs a Redis topology."),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

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
