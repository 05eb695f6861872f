using Hub.Tests.Infrastructure;

namespace Hub.Tests.Cluster;

/// <summary>The Redis Cluster the cluster tests run on is a real one: three masters, each with a synced replica, all agreeing.</summary>
public sealed class RedisClusterSetupTests
{
    [Test]
    public async Task Cluster_HasThreeMastersEachWithOneReplica()
    {
        await using var cluster = await ClusterSetup.StartAsync().Within(TimeSpan.FromSeconds(60));

        foreach (var server in cluster.Servers)
        {
            var nodes = await cluster.NodesAsync(server).Within();
            var masters = nodes.Where(n => n.IsMaster).ToList();
            var replicas = nodes.Where(n => !n.IsMaster).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(nodes.Select(n => n.Port), Is.EquivalentTo(cluster.Servers.Select(s => s.Port)), $"the servers port {server.Port} knows");
                Assert.That(nodes.Any(n => n.IsFailed), Is.False, $"port {server.Port} counts no server failed");
                Assert.That(masters, Has.Count.EqualTo(ClusterSetup.Masters));
                Assert.That(replicas.Select(r => r.MasterId), Is.EquivalentTo(masters.Select(m => m.Id)), "each master has one replica");
            });
        }

        Assert.That(cluster.Configuration.Split(','), Has.Length.EqualTo(6));
    }
}
