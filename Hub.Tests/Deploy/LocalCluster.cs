using Hub.Tests.Infrastructure;

namespace Hub.Tests.Deploy;

/// <summary>
/// deploy/local-cluster.sh, run by the tests as a developer runs it, but with a state directory of
/// its own under TestResults and free ports, so that it never meets a developer's cluster.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public static readonly string[] NodeIds = ["node-1", "node-2", "node-3"];

    /// <summary>"up" publishes Hub.Server first (incremental after the test build) and waits, bounded, for every /readyz.</summary>
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(4);

    private readonly Dictionary<string, string> _environment;

    private LocalCluster(string stateDirectory, int port, int[] nodePorts, int redisPort, IReadOnlyDictionary<string, string>? nodeEnvironment)
    {
        StateDirectory = stateDirectory;
        Url = new Uri($"http://127.0.0.1:{port}");
        NodePorts = nodePorts;
        _environment = new Dictionary<string, string>
        {
            ["HUB_CLUSTER_DIR"] = stateDirectory,
            ["HUB_CLUSTER_PORT"] = port.ToString(),
            ["HUB_CLUSTER_NODE_PORTS"] = string.Join(' ', nodePorts),
            ["HUB_CLUSTER_REDIS_PORT"] = redisPort.ToString(),
        };
        foreach (var (name, value) in nodeEnvironment ?? new Dictionary<string, string>())
        {
            _environment[name] = value;
        }
    }

    public static string Script => Path.Combine(RepoPaths.Root, "deploy", "local-cluster.sh");

    public string StateDirectory { get; }

    /// <summary>nginx, in front of the nodes.</summary>
    public Uri Url { get; }

    public IReadOnlyList<int> NodePorts { get; }

    /// <summary>The port of the Redis server that "up" starts first (the primary, at first, with Sentinel).</summary>
    public int RedisPort => int.Parse(_environment["HUB_CLUSTER_REDIS_PORT"]);

    /// <summary>With Sentinel: the replica's port, and the first sentinel's.</summary>
    public (int Replica, int Sentinel) SentinelPorts =>
        (int.Parse(_environment["HUB_CLUSTER_REPLICA_PORT"]), int.Parse(_environment["HUB_CLUSTER_SENTINEL_PORTS"].Split(' ')[0]));

    /// <summary>With a Redis Cluster: the six servers' ports, redis-1 to redis-6 in order.</summary>
    public IReadOnlyList<int> RedisClusterPorts => [.. _environment["HUB_CLUSTER_REDIS_CLUSTER_PORTS"].Split(' ').Select(int.Parse)];

    /// <summary>
    /// Starts the cluster; the nodes inherit <paramref name="nodeEnvironment"/> (settings as <c>Hub__…</c>)
    /// with the script's environment. With <paramref name="sentinel"/>, Redis runs as a primary, a
    /// replica and three sentinels (HUB_CLUSTER_SENTINEL=1); with <paramref name="redisCluster"/>, as a
    /// Redis Cluster of six servers (HUB_CLUSTER_REDIS_CLUSTER=1).
    /// </summary>
    public static async Task<LocalCluster> UpAsync(IReadOnlyDictionary<string, string>? nodeEnvironment = null, bool sentinel = false, bool redisCluster = false)
    {
        var state = Path.Combine(RepoPaths.TestResults, $"local-cluster-{Guid.NewGuid():N}"[..22]);
        var environment = new Dictionary<string, string>(nodeEnvironment ?? new Dictionary<string, string>());
        if (sentinel)
        {
            environment["HUB_CLUSTER_SENTINEL"] = "1";
            environment["HUB_CLUSTER_REPLICA_PORT"] = Ports.Free().ToString();
            environment["HUB_CLUSTER_SENTINEL_PORTS"] = string.Join(' ', Ports.Free(), Ports.Free(), Ports.Free());
        }

        if (redisCluster)
        {
            environment["HUB_CLUSTER_REDIS_CLUSTER"] = "1";
            environment["HUB_CLUSTER_REDIS_CLUSTER_PORTS"] = string.Join(' ', Enumerable.Range(0, 6).Select(_ => Ports.Free()));
            environment["HUB_CLUSTER_REDIS_BUS_PORTS"] = string.Join(' ', Enumerable.Range(0, 6).Select(_ => Ports.Free()));
        }

        var cluster = new LocalCluster(state, Ports.Free(), [Ports.Free(), Ports.Free(), Ports.Free()], Ports.Free(), environment);
        try
        {
            await cluster.RunAsync("up", UpTimeout);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public Task<string> RunAsync(string command, TimeSpan? timeout = null) =>
        ChildProcess.RunToSuccessAsync("bash", [Script, command], timeout ?? UpTimeout, RepoPaths.Root, _environment);

    /// <summary>The pid that the script recorded for redis, node-N or nginx, or null without one.</summary>
    public int? Pid(string name)
    {
        var file = Path.Combine(StateDirectory, name + ".pid");
        return File.Exists(file) ? int.Parse(File.ReadAllText(file).Trim()) : null;
    }

    /// <summary>SIGKILL to a node, or to a Redis server or sentinel: it dies as in a crash, without closing its connections itself.</summary>
    public void Kill(string name)
    {
        using var process = System.Diagnostics.Process.GetProcessById(Pid(name) ?? throw new InvalidOperationException($"{name} has no pid file."));
        process.Kill();
        process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("down", TimeSpan.FromMinutes(1));
        // The logs stay beside a failure; a passing run leaves nothing behind.
        if (TestContext.CurrentContext.Result.FailCount == 0)
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
