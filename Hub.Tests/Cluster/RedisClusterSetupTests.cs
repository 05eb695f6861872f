using Hub.Tests.Infrastructure;

namespace Hub.Tests.Cluster;

/// <summary>
/// The Redis Cluster the cluster tests run on is a real one: three masters, each with a synced
/// replica, all agreeing; the bench's, three masters alone, covers every slot all the same.
/// </summary>
public sealed class RedisClusterSetupTests
{
    [Test]
    public async Task Cluster_HasThreeMastersEachWithOneReplica()
    {
        await using var cluster = await RedisCluster.StartAsync().Within(TimeSpan.FromSeconds(60));

        foreach (var server in cluster.Servers)
        {
            var nodes = await cluster.NodesAsync(server).Within();
            var masters = nodes.Where(n => n.IsMaster).ToList();
            var replicas = nodes.Where(n => !n.IsMaster).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(nodes.Select(n => n.Port), Is.EquivalentTo(cluster.Servers.Select(s => s.Port)), $"the servers port {server.Port} knows");
                Assert.That(nodes.Any(n => n.IsFailed), Is.False, $"port {server.Port} counts no server failed");
                Assert.That(masters, Has.Count.EqualTo(RedisCluster.Masters));
                Assert.That(replicas.Select(r => r.MasterId), Is.EquivalentTo(masters.Select(m => m.Id)), "each master has one replica");
            });
        }

        Assert.That(cluster.Configuration.Split(','), Has.Length.EqualTo(6));
    }

    [Test]
    public async Task ClusterWithoutReplicas_HasThreeMastersServingEverySlot_AndFlushEmptiesEachOfThem()
    {
        await using var cluster = await RedisCluster.StartAsync(replicasPerMaster: 0).Within(TimeSpan.FromSeconds(60));

        var nodes = await cluster.NodesAsync(cluster.Servers[0]).Within();
        Assert.Multiple(() =>
        {
            Assert.That(cluster.Servers, Has.Count.EqualTo(RedisCluster.Masters));
            Assert.That(nodes.Where(n => n.IsMaster && !n.IsFailed).Select(n => n.Port), Is.EquivalentTo(cluster.Servers.Select(s => s.Port)));
            Assert.That(Enumerable.Range(0, 16384).All(slot => nodes.Any(n => n.Serves(slot))), Is.True, "every slot has a master");
        });

        // Keys spread over the slots, so each master holds some; then every master empty again.
        var keys = Enumerable.Range(0, 30).Select(i => $"bench-key-{i}").ToList();
        foreach (var key in keys)
        {
            var port = await cluster.MasterOfAsync(await cluster.SlotOfAsync(key).Within()).Within();
            await cluster.Servers.Single(s => s.Port == port).Admin.CommandAsync("SET", key, "1").Within();
        }

        var before = await Task.WhenAll(cluster.Servers.Select(s => s.Admin.CommandAsync("DBSIZE"))).Within();
        Assert.That(before.Count(size => size != "0"), Is.EqualTo(RedisCluster.Masters), "30 keys land on each of the three masters");

        await cluster.FlushAllAsync().Within();

        var after = await Task.WhenAll(cluster.Servers.Select(s => s.Admin.CommandAsync("DBSIZE"))).Within();
        Assert.That(after, Is.All.EqualTo("0"));
    }
}
