using System.Net;
using StackExchange.Redis;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// Redis run by Sentinel, as a managed Redis or an operator runs it: a primary, a replica and
/// three sentinels (<c>redis-server --sentinel</c> with a generated config) on free loopback
/// ports, with failover timings short enough for tests. Nodes connect through the sentinels
/// (<see cref="Configuration"/>) and follow the primary wherever it moves.
/// </summary>
public sealed class SentinelSetup : IAsyncDisposable
{
    public const string ServiceName = "hub";

    /// <summary>
    /// Sentinel counts a primary down after this much silence, and fails over. Short, but not so
    /// short that a busy test machine's stall looks like a dead primary.
    /// </summary>
    private const int DownAfterMilliseconds = 2000;

    /// <summary>Sentinel starts no new failover of the same primary within twice this of the last one.</summary>
    private const int FailoverTimeoutMilliseconds = 2000;

    private static readonly TimeSpan FailoverWait = TimeSpan.FromSeconds(20);

    // A primary sends a replica its data at once, not after waiting 5 s for more replicas to come.
    private static readonly string[] ReplicationArguments = ["--repl-diskless-sync-delay", "0"];

    private readonly DirectoryInfo _directory;
    private readonly List<RedisServer> _sentinels = [];
    private readonly RedisServer?[] _data = new RedisServer?[2];
    private readonly int[] _ports = [Ports.Free(), Ports.Free()];

    private SentinelSetup(DirectoryInfo directory)
    {
        _directory = directory;
    }

    /// <summary><c>Hub:Redis</c> for a node: the sentinels and the service name.</summary>
    public string Configuration => string.Join(',', _sentinels.Select(s => s.Configuration)) + $",serviceName={ServiceName}";

    /// <summary>Starts the two servers, the replica synced, and the three sentinels watching them.</summary>
    public static async Task<SentinelSetup> StartAsync()
    {
        var setup = new SentinelSetup(Directory.CreateTempSubdirectory("hub-sentinel-"));
        try
        {
            setup._data[0] = await RedisServer.StartAsync(setup._ports[0], arguments: ReplicationArguments);
            setup._data[1] = await StartReplicaAsync(setup._ports[1], setup._ports[0]);
            for (var i = 0; i < 3; i++)
            {
                var port = Ports.Free();
                var config = Path.Combine(setup._directory.FullName, $"sentinel-{port}.conf");
                await File.WriteAllLinesAsync(config,
                [
                    $"dir {setup._directory.FullName}",
                    $"sentinel monitor {ServiceName} 127.0.0.1 {setup._ports[0]} 2",
                    $"sentinel down-after-milliseconds {ServiceName} {DownAfterMilliseconds}",
                    $"sentinel failover-timeout {ServiceName} {FailoverTimeoutMilliseconds}",
                    $"sentinel parallel-syncs {ServiceName} 1",
                ]);
                setup._sentinels.Add(await RedisServer.StartSentinelAsync(port, config));
            }

            await setup.WaitUntilReplicaKnownAsync();
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server the sentinels name primary now.</summary>
    public async Task<RedisServer> PrimaryAsync()
    {
        int? port = null;
        await Bounded.UntilAsync(async () => (port = await PrimaryPortAsync()) is not null, "the sentinels agree on the primary", FailoverWait);
        return _data.Single(s => s?.Port == port)!;
    }

    /// <summary>
    /// Kills the primary (SIGKILL) and waits until the sentinels promoted the replica; then brings
    /// the killed one back as the new primary's replica, synced, ready for the next round. With
    /// <paramref name="replicaLagging"/>, the replica is cut off (<see cref="CutOffReplicaAsync"/>)
    /// that long before the kill: the last writes the primary accepted never reach it, and the
    /// promoted replica lacks them. Returns when the primary was killed, on <paramref name="clock"/>.
    /// </summary>
    public async Task<TimeSpan> FailOverAsync(System.Diagnostics.Stopwatch clock, TimeSpan replicaLagging = default)
    {
        var primary = await PrimaryAsync();
        var index = Array.IndexOf(_data, primary);
        var replica = _data[1 - index]!;
        if (replicaLagging > TimeSpan.Zero)
        {
            await CutOffReplicaAsync();
            await Task.Delay(replicaLagging);
        }

        await primary.KillAsync();
        var killedAt = clock.Elapsed;
        if (replicaLagging > TimeSpan.Zero)
        {
            replica.Continue();
        }

        await Bounded.UntilAsync(async () => await PrimaryPortAsync() == replica.Port, "the sentinels promote the replica", FailoverWait);
        await primary.DisposeAsync();
        _data[index] = await StartReplicaAsync(_ports[index], replica.Port);
        await WaitUntilReplicaKnownAsync();
        return killedAt;
    }

    /// <summary>
    /// Cuts the replica off: it is stopped (SIGSTOP), so it cannot reconnect, and the primary drops
    /// its replication link, so nothing more reaches it (a stop alone would not do: the kernel
    /// keeps receiving for it). <see cref="RejoinReplicaAsync"/> undoes it.
    /// </summary>
    public async Task CutOffReplicaAsync()
    {
        var primary = await PrimaryAsync();
        _data.Single(s => s != primary)!.Pause();
        await primary.Admin.ExecuteAsync("CLIENT", "KILL", "TYPE", "replica");
    }

    /// <summary>Lets the cut-off replica go on; returns once it has caught up and the sentinels list it again.</summary>
    public async Task RejoinReplicaAsync()
    {
        var primary = await PrimaryAsync();
        var replica = _data.Single(s => s != primary)!;
        replica.Continue();
        await WaitUntilSyncedAsync(replica);
        await WaitUntilReplicaKnownAsync();
    }

    public async ValueTask DisposeAsync() =>
        await RedisSetupDisposal.DisposeAllAsync(_sentinels.Concat<IAsyncDisposable>(_data.OfType<RedisServer>()), _directory, "Sentinel setup");

    private static async Task<RedisServer> StartReplicaAsync(int port, int primaryPort)
    {
        var replica = await RedisServer.StartAsync(port, arguments: [.. ReplicationArguments, "--replicaof", "127.0.0.1", primaryPort.ToString()]);
        try
        {
            await WaitUntilSyncedAsync(replica);
            return replica;
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitUntilSyncedAsync(RedisServer replica)
    {
        try
        {
            await Bounded.UntilAsync(async () => (await replica.Admin.InfoRawAsync("replication"))?.Contains("master_link_status:up") == true,
                $"the replica on port {replica.Port} has synced", FailoverWait);
        }
        catch (AssertionException)
        {
            Assert.Fail($"The replica on port {replica.Port} did not sync within {FailoverWait.TotalSeconds} s. It said:\n{replica.Output}");
        }
    }

    /// <summary>The port all three sentinels name primary, once that server says it is one; null meanwhile.</summary>
    private async Task<int?> PrimaryPortAsync()
    {
        var named = new HashSet<int>();
        foreach (var sentinel in _sentinels)
        {
            try
            {
                if (await sentinel.Admin.SentinelGetMasterAddressByNameAsync(ServiceName) is not IPEndPoint primary)
                {
                    return null;
                }

                named.Add(primary.Port);
            }
            catch (RedisException)
            {
                return null;
            }
        }

        // Right after a failover they may still disagree.
        if (named.Count != 1)
        {
            return null;
        }

        var port = named.Single();
        var server = _data.SingleOrDefault(s => s?.Port == port);
        try
        {
            return server is not null && (await server.Admin.InfoRawAsync("replication"))?.Contains("role:master") == true ? port : null;
        }
        catch (RedisException)
        {
            return null;
        }
    }

    // Every sentinel must list the replica, up, before a failover can promote it. Its link to the
    // primary is asked of the replica itself: sentinels refresh what they know of it every 10 s.
    private async Task WaitUntilReplicaKnownAsync()
    {
        int? primary = null;
        await Bounded.UntilAsync(async () => (primary = await PrimaryPortAsync()) is not null, "the sentinels agree on the primary", FailoverWait);
        var replicaPort = _ports.Single(p => p != primary);
        await WaitUntilSyncedAsync(_data.Single(s => s?.Port == replicaPort)!);
        await Bounded.UntilAsync(async () =>
        {
            foreach (var sentinel in _sentinels)
            {
                var replicas = await sentinel.Admin.SentinelReplicasAsync(ServiceName);
                var listed = replicas.Any(r =>
                    r.Any(f => f.Key == "port" && f.Value == replicaPort.ToString()) &&
                    r.Any(f => f.Key == "flags" && f.Value == "slave"));
                if (!listed)
                {
                    return false;
                }
            }

            return true;
        }, $"every sentinel lists the replica on port {replicaPort} as up", FailoverWait);
    }
}
