using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Cluster;

/// <summary>
/// Interest routing with history off: a broken channel sequence cannot be filled, so the clients of
/// the streams that channel carries reconnect (their client library says it cannot know what it
/// missed); the node's other clients are not disturbed.
/// </summary>
public sealed class InterestRoutingWithoutHistoryTests() : ClusterTest(Topology.RedisCluster)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:History:Size"] = "0" };

    [Test]
    public async Task ABrokenSequence_AsksOnlyTheRecipientsOfItsPartitionToReconnect()
    {
        const string broken = "gap-room";
        var partition = RedisKeys.PartitionOf("group:" + broken);
        var elsewhere = Enumerable.Range(0, 10_000).Select(i => "calm-" + i).First(g => RedisKeys.PartitionOf("group:" + g) != partition);
        await using var bob = await TestClient.InGroupAsync(NodeB, "bob", broken);
        await using var carol = await TestClient.InGroupAsync(NodeB, "carol", elsewhere);
        var sender = await ConnectAsync(NodeA, "ann");
        // The channel's base is set by its first message.
        await sender.Client.SendToGroupAsync(broken, "first").Within();
        await bob.Messages.WaitForAsync(m => m.Text == "first", "the first message");

        var redis = NodeA.Services.GetRequiredService<RedisConnection>().Database;
        await redis.HashIncrementAsync(RedisKeys.ChannelSequences(partition), "node-b").Within();
        await sender.Client.SendToGroupAsync(broken, "after the gap").Within();

        await bob.Reconnected.WaitForAsync(_ => true, "bob's reconnect");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That(carol.Reconnected.Items, Is.Empty, "carol's stream is in another partition");
    }
}
