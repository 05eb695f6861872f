using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// A redis-server (with its replicas, if asked for) and N nodes of the bench's own. Redis lives
/// for the whole run; the nodes (Hub, or a peer's) start afresh for every round with that round's
/// settings, on an emptied Redis, so no round inherits the state or the warmed-up caches of
/// another. Hub's clients speak <paramref name="codec"/> whatever the variant.
/// </summary>
internal sealed class LocalCluster(RedisProcess redis, IReadOnlyList<RedisProcess> replicas, int nodeCount, IHubCodec codec) : IBenchTarget
{
    private readonly List<ServerNode> _nodes = [];

    public bool AppliesVariants => true;

    public RedisAdmin? Redis => redis.Admin;

    public IReadOnlyList<ChildProcess> ServerProcesses => [redis.Process, .. replicas.Select(r => r.Process), .. _nodes.Select(n => n.Process)];

    public static async Task<LocalCluster> StartAsync(int nodeCount, IHubCodec codec, int replicaCount = 0)
    {
        // The server build first: a missing build must not leave a redis-server running.
        ServerBuild.FindServerDll();
        var redis = await RedisProcess.StartAsync();
        var replicas = new List<RedisProcess>();
        try
        {
            for (var i = 0; i < replicaCount; i++)
            {
                replicas.Add(await RedisProcess.StartAsync(arguments: ["--replicaof", "127.0.0.1", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
            }

            await WaitForReplicasAsync(redis, replicaCount);
        }
        catch
        {
            foreach (var started in replicas.Append(redis))
            {
                await started.DisposeAsync();
            }

            throw;
        }

        return new LocalCluster(redis, replicas, nodeCount, codec);
    }

    private static async Task WaitForReplicasAsync(RedisProcess redis, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (count > 0 && !(await redis.Admin.CommandAsync("INFO", "replication")).Contains($"connected_slaves:{count}", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{count} replica(s) of the bench's Redis did not sync within 20 s.");
            }

            await Task.Delay(200);
        }
    }

    public async Task<IReadOnlyList<Endpoint>> StartRoundAsync(Variant variant)
    {
        await redis.Admin.CommandAsync("FLUSHALL");
        var starting = Enumerable.Range(1, nodeCount)
            .Select(i => variant.Kind.WithProtocol(codec).StartNodeAsync(i, redis.Configuration, variant.Settings, variant.ServerDll))
            .ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            // Keep whatever did start, so that ending the round stops it even when a sibling failed.
            _nodes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        }

        return [.. _nodes.Select(n => n.Endpoint)];
    }

    public Task KillNodeAsync(int node) => _nodes[node].Process.KillAsync();

    public async Task EndRoundAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await EndRoundAsync();
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        await redis.DisposeAsync();
    }
}
