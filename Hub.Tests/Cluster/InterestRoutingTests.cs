using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Core;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Cluster;

/// <summary>
/// Interest routing on the real cluster (docs/design/redis-cluster.md §4): a node's bus reader
/// takes a group's, a user's or a connection's messages only while the node holds a recipient, from
/// the moment a join returns (nothing missed in between), and no more once it left. Broadcasts
/// reach every node. Counted by each node's <see cref="BusTraffic"/>.
/// </summary>
public sealed class InterestRoutingTests() : ClusterTest(Topology.RedisCluster)
{
    private const int Rounds = 20;

    // The default; named so the suite keeps testing routing whatever the default becomes.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:InterestRouting"] = "true" };

    [Test]
    public async Task AGroup_ReachesOnlyTheNodeWithAMember_FromTheJoinOn_AndNotAfterItsLeave()
    {
        var receiver = await ConnectAsync(NodeB, "bob");
        var sender = await ConnectAsync(NodeA, "ann");
        var (a, b) = (Received(NodeA, TargetKind.Group), Received(NodeB, TargetKind.Group));

        // Join then send at once, many times: the first message after each join arrives.
        for (var i = 0; i < Rounds; i++)
        {
            await receiver.Client.JoinAsync("route-" + i).Within();
            var sent = await sender.Client.SendToGroupAsync("route-" + i, "first").Within();
            await receiver.Messages.WaitForAsync(m => m.Id == sent.Id, $"the first message to route-{i}");
        }

        // Left, a message is not sent to the node; rejoined, the next one is. Both travel on the
        // node's one channel of that group's partition, in order: had the first been sent to node B,
        // it would have been counted before the second arrived.
        await receiver.Client.LeaveAsync("route-0").Within();
        await sender.Client.SendToGroupAsync("route-0", "while away").Within();
        await receiver.Client.JoinAsync("route-0").Within();
        var back = await sender.Client.SendToGroupAsync("route-0", "back").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == back.Id, "the message after the rejoin");

        Assert.Multiple(() =>
        {
            Assert.That(Received(NodeA, TargetKind.Group) - a, Is.Zero, "group messages that reached node A, which has no member");
            Assert.That(Received(NodeB, TargetKind.Group) - b, Is.EqualTo(Rounds + 1), "group messages that reached node B");
            Assert.That(receiver.Messages.Items.Select(m => m.Text), Has.No.Member("while away"));
        });
    }

    [Test]
    public async Task AUserAndAConnection_ReachOnlyTheirNode_AndABroadcastReachesBoth()
    {
        var receiver = await ConnectAsync(NodeB, "bob");
        var sender = await ConnectAsync(NodeA, "ann");
        var before = Counts();

        for (var i = 0; i < Rounds; i++)
        {
            var toUser = await sender.Client.SendToUserAsync("bob", "to bob").Within();
            var toConnection = await sender.Client.SendToConnectionAsync(receiver.ConnectionId, "to the connection").Within();
            await receiver.Messages.WaitForAsync(m => m.Id == toUser.Id, "the message to the user");
            await receiver.Messages.WaitForAsync(m => m.Id == toConnection.Id, "the message to the connection");
        }

        // A user who connects is routed to from its connect on.
        var late = await ConnectAsync(NodeA, "carl");
        var toCarl = await sender.Client.SendToUserAsync("carl", "to carl").Within();
        await late.Messages.WaitForAsync(m => m.Id == toCarl.Id, "the message to the user who just connected");

        var broadcast = await sender.Client.SendAsync("to all").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == broadcast.Id, "the broadcast on node B");
        await sender.Messages.WaitForAsync(m => m.Id == broadcast.Id, "the broadcast on node A");

        var after = Counts();
        // Node A: user messages (carl's only), connection messages, broadcasts; then node B's.
        Assert.That(after.Zip(before, (x, y) => x - y), Is.EqualTo(new long[] { 1, 0, 1, Rounds, Rounds, 1 }));
    }

    // A message that never reached node B (here: presence briefly without node B's interest, its
    // channel sequence taken all the same, as a message lost between Redis and the node would) is
    // noticed at the next message on node B's channel of that partition, though that one is for
    // another group: the gap in the channel's sequence makes the node's streams catch up from
    // history, so the lost message arrives with no further message to its own group.
    [Test]
    public async Task AMessageLostOnTheWay_IsCaughtUp_AtTheNextMessageOnThatChannel()
    {
        const string lost = "seq-lost";
        var partition = RedisKeys.PartitionOf("group:" + lost);
        var next = Enumerable.Range(0, 10_000).Select(i => "seq-next-" + i).First(g => RedisKeys.PartitionOf("group:" + g) == partition);
        var receiver = await ConnectAsync(NodeB, "bob");
        var sender = await ConnectAsync(NodeA, "ann");
        await receiver.Client.JoinAsync(lost).Within();
        await receiver.Client.JoinAsync(next).Within();
        var redis = NodeA.Services.GetRequiredService<RedisConnection>().Database;
        // Node B knows where the stream stands only once it delivered a message of it.
        var first = await sender.Client.SendToGroupAsync(lost, "first").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == first.Id, "the first message to the group");

        var before = Received(NodeB, TargetKind.Group);
        await redis.HashDeleteAsync(RedisKeys.GroupNodes(lost), "node-b").Within();
        var missed = await sender.Client.SendToGroupAsync(lost, "lost on the way").Within();
        await redis.HashIncrementAsync(RedisKeys.GroupNodes(lost), "node-b").Within();
        await redis.HashIncrementAsync(RedisKeys.ChannelSequences(partition), "node-b").Within();

        var then = await sender.Client.SendToGroupAsync(next, "next on the channel").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == then.Id, "the next message on the channel");
        var caught = await receiver.Messages.WaitForAsync(m => m.Id == missed.Id, "the lost message, from history");
        Assert.That(caught.Offset, Is.EqualTo(missed.Offset));
        // Both would have come on the one channel in order: only the second came live. The reader
        // counts a message just after the gap it shows has started the catch-up, which can hand the
        // client that very message first (from history): wait for the count, then read it.
        await Bounded.UntilAsync(() => Task.FromResult(Received(NodeB, TargetKind.Group) - before >= 1), "node B's bus reader counted the message it read");
        Assert.That(Received(NodeB, TargetKind.Group) - before, Is.EqualTo(1), "group messages node B's bus reader took");
    }

    // A broken sequence says which channel lost a message, so only the streams that channel carries
    // catch up: a message of another partition's group, lost with nothing to tell (here: sent while
    // node B's interest was taken away, its own channel's sequence untouched), stays missing until
    // its own group's next message shows the gap, then arrives before that one.
    [Test]
    public async Task ABrokenSequence_CatchesUpTheStreamsOfItsPartitionOnly()
    {
        const string lost = "part-lost";
        var partition = RedisKeys.PartitionOf("group:" + lost);
        var next = Enumerable.Range(0, 10_000).Select(i => "part-next-" + i).First(g => RedisKeys.PartitionOf("group:" + g) == partition);
        var other = Enumerable.Range(0, 10_000).Select(i => "part-other-" + i).First(g => RedisKeys.PartitionOf("group:" + g) != partition);
        var receiver = await ConnectAsync(NodeB, "bob");
        var sender = await ConnectAsync(NodeA, "ann");
        foreach (var group in new[] { lost, next, other })
        {
            await receiver.Client.JoinAsync(group).Within();
            var first = await sender.Client.SendToGroupAsync(group, "first").Within();
            await receiver.Messages.WaitForAsync(m => m.Id == first.Id, $"the first message to {group}");
        }

        var redis = NodeA.Services.GetRequiredService<RedisConnection>().Database;
        var missedOther = await SendUnroutedAsync(redis, sender, other);
        var missed = await SendUnroutedAsync(redis, sender, lost);
        await redis.HashIncrementAsync(RedisKeys.ChannelSequences(partition), "node-b").Within();

        var then = await sender.Client.SendToGroupAsync(next, "next on the channel").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == missed.Id, "the lost message, from history");
        // Past the catch-up's second look, a second after the first.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That(receiver.Messages.Items.Select(m => m.Id), Does.Contain(then.Id).And.Not.Contain(missedOther.Id),
            "the other partition's group was not caught up");

        var last = await sender.Client.SendToGroupAsync(other, "its own next").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == last.Id, "the other group's next message");
        var ids = receiver.Messages.Items.Where(m => m.Stream == "group:" + other).Select(m => m.Id).ToList();
        Assert.That(ids.Skip(1), Is.EqualTo(new[] { missedOther.Id, last.Id }), "its gap is filled before its next message");
    }

    // Sends to a group while node B's interest in it is taken away: node B's channel never carries it.
    private static async Task<SendResult> SendUnroutedAsync(StackExchange.Redis.IDatabase redis, TestClient sender, string group)
    {
        await redis.HashDeleteAsync(RedisKeys.GroupNodes(group), "node-b").Within();
        var sent = await sender.Client.SendToGroupAsync(group, "lost on the way").Within();
        await redis.HashIncrementAsync(RedisKeys.GroupNodes(group), "node-b").Within();
        return sent;
    }

    private long[] Counts() =>
    [
        Received(NodeA, TargetKind.User), Received(NodeA, TargetKind.Connection), Received(NodeA, TargetKind.All),
        Received(NodeB, TargetKind.User), Received(NodeB, TargetKind.Connection), Received(NodeB, TargetKind.All),
    ];

    private static long Received(TestNode node, TargetKind kind) => node.Services.GetRequiredService<BusTraffic>().ReceivedOf(kind);
}
