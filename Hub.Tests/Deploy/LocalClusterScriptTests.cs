using System.Diagnostics;
using Hub.Tests.Infrastructure;
using StackExchange.Redis;

namespace Hub.Tests.Deploy;

/// <summary>deploy/local-cluster.sh's own promises: up starts what is missing, status tells, down stops exactly that.</summary>
public sealed class LocalClusterScriptTests
{
    private static readonly string[] Names = ["redis", .. LocalCluster.NodeIds, "nginx"];

    [Test]
    public async Task Up_StartsOnlyWhatIsNotRunning_StatusShowsIt_AndDownStopsExactlyThat()
    {
        await using var cluster = await LocalCluster.UpAsync();
        var pids = Names.ToDictionary(n => n, n => cluster.Pid(n) ?? throw new AssertionException($"up left no pid file for {n}."));

        await cluster.RunAsync("up");
        var status = await cluster.RunAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(Names.Select(cluster.Pid), Is.EqualTo(Names.Select(n => (int?)pids[n])), "a second up started nothing new");
            foreach (var name in Names)
            {
                Assert.That(status, Does.Contain($"{name} running (pid {pids[name]}"));
            }
        });

        await cluster.RunAsync("down");

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(pids.Where(p => IsRunning(p.Value)).Select(p => p.Key), Is.Empty, "down stopped everything up started");
            Assert.That(await cluster.RunAsync("status"), Is.EqualTo(string.Concat(Names.Select(n => $"{n} stopped\n"))));
        });
    }

    [Test]
    public async Task WithSentinel_TheNodesFollowThePrimaryThroughAFailover_UpBringsTheOldOneBackAsReplica_AndDownStopsEverything()
    {
        string[] names = ["redis", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3", .. LocalCluster.NodeIds, "nginx"];
        await using var cluster = await LocalCluster.UpAsync(sentinel: true);
        var status = await cluster.RunAsync("status");
        Assert.That(names.Select(n => status.Contains($"{n} running")), Has.All.True, status);

        cluster.Kill("redis");
        var (replica, sentinelPort) = cluster.SentinelPorts;
        await using (var sentinel = await ConnectionMultiplexer.SentinelConnectAsync($"127.0.0.1:{sentinelPort}"))
        {
            await Bounded.UntilAsync(async () =>
                    await sentinel.GetServer(sentinel.GetEndPoints()[0]).SentinelGetMasterAddressByNameAsync("hub") is System.Net.IPEndPoint { Port: var port } && port == replica,
                "the sentinels promote the replica", TimeSpan.FromSeconds(30));
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var port in cluster.NodePorts)
        {
            // The sentinels notice and promote the replica within seconds; every node follows it.
            await Bounded.UntilAsync(async () => (await http.GetAsync($"http://127.0.0.1:{port}/readyz")).IsSuccessStatusCode,
                $"the node on port {port} is ready on the promoted replica", TimeSpan.FromSeconds(30));
        }

        await cluster.RunAsync("up");
        await using var restarted = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.RedisPort},allowAdmin=true");
        var role = await restarted.GetServer(restarted.GetEndPoints()[0]).InfoRawAsync("replication");
        Assert.That(role, Does.Contain("role:slave"), "the old primary came back as the new one's replica, not as a second, empty primary");

        await cluster.RunAsync("down");
        Assert.That(await cluster.RunAsync("status"), Is.EqualTo(string.Concat(names.Select(n => $"{n} stopped\n"))));
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
