using System.Diagnostics;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
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

    [Test]
    public async Task WithRedisCluster_NodesServeOnIt_AKilledMastersReplicaTakesItsSlots_UpBringsItBackAsReplica_AndDownStopsEverything()
    {
        string[] servers = ["redis-1", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6"];
        string[] names = [.. servers, .. LocalCluster.NodeIds, "nginx"];
        await using var cluster = await LocalCluster.UpAsync(redisCluster: true);
        var status = await cluster.RunAsync("status");
        Assert.That(names.Select(n => status.Contains($"{n} running")), Has.All.True, status);

        await using var alice = await ClientOnAsync(cluster.NodePorts[0], "alice");
        await using var bob = await ClientOnAsync(cluster.NodePorts[2], "bob");
        await bob.Client.JoinAsync("room").Within();
        var first = await alice.Client.SendToGroupAsync("room", "before").Within();
        Assert.That((await bob.Messages.WaitForAsync(m => m.Text == "before", "bob gets the message sent before")).Id, Is.EqualTo(first.Id), "a message crosses nodes on the Redis Cluster");

        // The master holding the group's keys dies as in a crash; its replica takes its slots over.
        var master = await MasterHoldingAsync(cluster, "room");
        cluster.Kill(servers[cluster.RedisClusterPorts.ToList().IndexOf(master)]);
        SendResult? again = null;
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                again = await alice.Client.SendToGroupAsync("room", "after").Within();
                return true;
            }
            catch (HubException)
            {
                // Refused while the slot has no master: the send fails fast, and is tried again.
                return false;
            }
        }, "a send to the group is taken again once the replica took over", TimeSpan.FromSeconds(30));
        Assert.That((await bob.Messages.WaitForAsync(m => m.Text == "after", "bob gets the message sent after the failover")).Id, Is.EqualTo(again!.Id));

        await cluster.RunAsync("up");
        await using (var restarted = new RedisAdmin("127.0.0.1", master))
        {
            Assert.That(await restarted.CommandAsync("INFO", "replication"), Does.Contain("role:slave"),
                "the killed master came back as the replica of the one that took its slots");
        }

        await cluster.RunAsync("down");
        Assert.That(await cluster.RunAsync("status"), Is.EqualTo(string.Concat(names.Select(n => $"{n} stopped\n"))));
    }

    private static async Task<TestClient> ClientOnAsync(int port, string user)
    {
        var client = new TestClient(new HubClientOptions { Url = new Uri($"http://127.0.0.1:{port}/hub?user={user}") });
        await client.Client.StartAsync().Within();
        return client;
    }

    // The port of the master whose keys name the group, whatever the layout calls them: KEYS on each
    // master (a handful of keys here), through a script, since RedisAdmin reads no array replies.
    private static async Task<int> MasterHoldingAsync(LocalCluster cluster, string group)
    {
        foreach (var port in cluster.RedisClusterPorts)
        {
            await using var admin = new RedisAdmin("127.0.0.1", port);
            if ((await admin.CommandAsync("INFO", "replication")).Contains("role:master") &&
                (await admin.CommandAsync("EVAL", "return table.concat(redis.call('keys', ARGV[1]), ' ')", "0", $"*{group}*")).Length > 0)
            {
                return port;
            }
        }

        throw new AssertionException($"No master holds a key naming '{group}'.");
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
