using Hub.Server.Core;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Cluster;

/// <summary>What a node's Redis connection does on a Redis Cluster, below the stores.</summary>
public sealed class RedisConnectionClusterTests
{
    /// <summary>
    /// WAIT after a publish goes to <see cref="RedisConnection.PrimaryOf"/> the stream's meta key:
    /// on a cluster that must be the master of the key's slot, the one that ran the publish.
    /// </summary>
    [Test]
    public async Task PrimaryOf_IsTheMasterOfTheKeysSlot()
    {
        await using var cluster = await RedisCluster.StartAsync().Within(TimeSpan.FromSeconds(60));
        await using var redis = new RedisConnection(
            Options.Create(new ClusterOptions { Redis = cluster.Configuration, NodeId = "cluster-test" }), NullLogger<RedisConnection>.Instance);
        await redis.StartAsync(CancellationToken.None).Within();
        await redis.Created.Within();

        var owners = new HashSet<int>();
        foreach (var stream in new[] { "group:room", "user:ada", "connection:c-1", "all", "group:lobby", "group:other" })
        {
            var key = RedisKeys.StreamMeta(stream);
            var slot = int.Parse(await cluster.Servers[0].Admin.CommandAsync("CLUSTER", "KEYSLOT", key).Within());
            var owner = await cluster.MasterOfAsync(slot).Within();

            var primary = redis.PrimaryOf(key);

            Assert.That(primary.EndPoint.ToString(), Is.EqualTo($"127.0.0.1:{owner}"), $"the server for {key} (slot {slot})");
            Assert.That(primary.IsReplica, Is.False);
            owners.Add(owner);
        }

        Assert.That(owners, Has.Count.GreaterThan(1), "the keys tried fall on more than one master, or the check proves little");
    }
}
