using System.Globalization;

namespace Hub.Bench.Cluster;

/// <summary>One redis-server, and its replicas (<c>--replicas</c>), synced before the first round.</summary>
internal sealed class StandaloneRedis : IBenchRedis
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(20);
    private readonly RedisProcess _master;
    private readonly IReadOnlyList<RedisProcess> _replicas;

    private StandaloneRedis(RedisProcess master, IReadOnlyList<RedisProcess> replicas)
    {
        _master = master;
        _replicas = replicas;
    }

    public string Configuration => _master.Configuration;

    public IReadOnlyList<RedisAdmin> Masters => [_master.Admin];

    public IReadOnlyList<ChildProcess> Processes => [_master.Process, .. _replicas.Select(r => r.Process)];

    public static async Task<StandaloneRedis> StartAsync(int replicaCount)
    {
        var master = await RedisProcess.StartAsync();
        var replicas = new List<RedisProcess>();
        try
        {
            for (var i = 0; i < replicaCount; i++)
            {
                replicas.Add(await RedisProcess.StartAsync(arguments: ["--replicaof", "127.0.0.1", master.Port.ToString(CultureInfo.InvariantCulture)]));
            }

            await WaitForReplicasAsync(master, replicaCount);
        }
        catch
        {
            foreach (var started in replicas.Append(master))
            {
                await started.DisposeAsync();
            }

            throw;
        }

        return new StandaloneRedis(master, replicas);
    }

    public Task FlushAsync() => _master.Admin.CommandAsync("FLUSHALL");

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await _master.DisposeAsync();
    }

    private static async Task WaitForReplicasAsync(RedisProcess master, int count)
    {
        var deadline = DateTime.UtcNow + SyncTimeout;
        while (count > 0 && !(await master.Admin.CommandAsync("INFO", "replication")).Contains($"connected_slaves:{count}", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{count} replica(s) of the bench's Redis did not sync within {SyncTimeout.TotalSeconds} s.");
            }

            await Task.Delay(200);
        }
    }
}
