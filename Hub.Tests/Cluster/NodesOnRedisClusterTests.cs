using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Cluster;

/// <summary>Hub on a Redis Cluster, given its servers as seeds in the same <c>Hub:Redis</c> key as one server.</summary>
public sealed class NodesOnRedisClusterTests
{
    [Test]
    public async Task TwoNodes_StartOnTheClustersSeeds_AndAMessageCrossesFromOneToTheOther()
    {
        await using var cluster = await RedisCluster.StartAsync().Within(TimeSpan.FromSeconds(60));
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = cluster.Configuration };
        await using var a = await NodeProcess.StartAsync("cluster-a", settings).Within(TimeSpan.FromSeconds(60));
        await using var b = await NodeProcess.StartAsync("cluster-b", settings).Within(TimeSpan.FromSeconds(60));
        await using var sender = new TestClient(new HubClientOptions { Url = a.HubUrl });
        await using var receiver = new TestClient(new HubClientOptions { Url = b.HubUrl });
        await sender.Client.StartAsync().Within();
        await receiver.Client.StartAsync().Within();

        var sent = await sender.Client.SendAsync("across the cluster").Within();

        await receiver.Messages.WaitForAsync(m => m.Id == sent.Id, "the message sent on the other node");
    }
}
