using Hub.Client;
using Hub.Server.History;
using Hub.Server.Redis;
using Hub.Testing;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Cluster;

/// <summary>
/// A stream's owner on the real cluster (docs/design/redis-cluster.md §4, "Stream went back"):
/// publish.lua keeps the id of the master that wrote the stream last; another master finding itself
/// there (a failover or a slot move, faked here by writing another id) opens a new epoch that
/// continues the old one at the next offset, keeps the log, and records where the old one ended.
/// A receiver that had seen no further goes on without loss and without reconnecting; one that had
/// seen beyond it is told its stream lost messages. No position names two messages.
/// </summary>
public sealed class OwnerLineageTests() : ClusterTest(Topology.RedisCluster)
{
    private const string Group = "lineage";
    private const string Stream = "group:" + Group;
    private const string AnotherMaster = "0123456789abcdef0123456789abcdef01234567";

    // Routing on, as it will be: node A then sees none of the group's messages.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:InterestRouting"] = "true" };

    [Test]
    public async Task AnOwnerChange_OpensANewEpoch_ThatContinuesTheOffsets_KeepsTheLog_AndCostsReceiversNothing()
    {
        var (sender, receiver) = await SenderAndReceiverAsync();
        var sent = new List<SendResult>();
        for (var i = 1; i <= 3; i++)
        {
            sent.Add(await sender.Client.SendToGroupAsync(Group, $"before {i}").Within());
        }

        var master = await MasterOfStreamAsync();
        await master.Admin.CommandAsync("HSET", RedisKeys.StreamMeta(Stream), "owner", AnotherMaster);
        sent.Add(await sender.Client.SendToGroupAsync(Group, "after").Within());
        sent.Add(await sender.Client.SendToGroupAsync(Group, "after, again").Within());
        await receiver.Messages.WaitForAsync(m => m.Id == sent[^1].Id, "the last message, in the new epoch");

        var page = await ReadAsync();
        var oldEpoch = (await receiver.Messages.WaitForAsync(m => m.Id == sent[0].Id, "the first message")).Epoch;
        var (owner, myId) = await OwnerAndMasterIdAsync(master);
        Assert.Multiple(() =>
        {
            Assert.That(sent.Select(s => s.Offset), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }), "offsets go on at the next one");
            Assert.That(page.Epoch, Is.Not.EqualTo(oldEpoch), "a new epoch");
            Assert.That(page.Lineage, Is.EqualTo(new[] { new EndedEpoch(oldEpoch, 3) }), "the old epoch, and where it ended");
            Assert.That(page.Messages.Select(m => m.Id), Is.EqualTo(sent.Select(s => s.Id)), "the log is kept");
            Assert.That(owner, Is.EqualTo(myId), "the master that wrote it is its owner now");
            Assert.That(receiver.Messages.Items.Where(m => m.Stream == Stream).Select(m => (m.Id, m.Offset)),
                Is.EqualTo(sent.Select(s => (s.Id, s.Offset))), "the receiver had every message once, in order");
            Assert.That(receiver.Messages.Items.Where(m => m.Stream == Stream).Skip(3).Select(m => m.Epoch), Has.All.EqualTo(page.Epoch));
            Assert.That((receiver.Lost.Items.Count, receiver.Reconnected.Items.Count), Is.EqualTo((0, 0)), "nothing lost, no reconnect");
        });
    }

    [Test]
    public async Task AStreamWithoutAnOwner_IsTakenOver_WithoutANewEpoch()
    {
        var (sender, receiver) = await SenderAndReceiverAsync();
        var first = await sender.Client.SendToGroupAsync(Group, "first").Within();
        var master = await MasterOfStreamAsync();
        // As a stream written before owners were kept.
        await master.Admin.CommandAsync("HDEL", RedisKeys.StreamMeta(Stream), "owner");
        var second = await sender.Client.SendToGroupAsync(Group, "second").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == second.Id, "the second message");

        var page = await ReadAsync();
        var (owner, myId) = await OwnerAndMasterIdAsync(master);
        Assert.Multiple(() =>
        {
            Assert.That(receiver.Messages.Items.Where(m => m.Stream == Stream).Select(m => m.Epoch).Distinct(), Is.EqualTo(new[] { page.Epoch }), "one epoch");
            Assert.That((first.Offset, second.Offset), Is.EqualTo((1L, 2L)));
            Assert.That(page.Lineage, Is.Empty);
            Assert.That(owner, Is.EqualTo(myId), "the master that wrote it is recorded as its owner");
        });
    }

    [Test]
    public async Task AnOwnerChange_ThatLostTheLastWrite_TellsTheReceiverWhoSawIt_AndNamesNoPositionTwice()
    {
        var (sender, receiver) = await SenderAndReceiverAsync();
        var (kept, lost, seen) = await LoseTheLastWriteAsync(sender, receiver);
        // Sent through a node that has neither sent nor received the stream: it cannot know the lost write.
        var newcomer = await ConnectAsync(Own(await StartNodeAsync("node-c")), "cid");
        var next = await newcomer.Client.SendToGroupAsync(Group, "next").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == next.Id, "the message after the owner change", TimeSpan.FromSeconds(30));
        await receiver.Lost.WaitForAsync(s => s.Contains(Stream), "the receiver is told its stream lost messages", TimeSpan.FromSeconds(30));

        var page = await ReadAsync();
        var received = receiver.Messages.Items.Where(m => m.Stream == Stream).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(page.Lineage, Is.EqualTo(new[] { new EndedEpoch(seen.Epoch, kept.Offset) }), "the old epoch ended where the new master's copy did");
            Assert.That(next.Offset, Is.EqualTo(kept.Offset + 1), "the offset goes on from what the new master holds");
            Assert.That(page.Epoch, Is.Not.EqualTo(seen.Epoch), "under a new epoch: the lost message's offset names another message there");
            Assert.That(page.Messages.Select(m => m.Id), Is.EqualTo(new[] { kept.Id, next.Id }), "the log is kept");
            Assert.That(received.Select(m => m.Id), Is.EqualTo(new[] { kept.Id, lost.Id, next.Id }), "each message once");
            Assert.That(received.Select(m => (m.Epoch, m.Offset)), Is.Unique, "no position names two messages");
        });
    }

    [Test]
    public async Task AnOwnerChange_ThatLostAWriteTheSendingNodeKnows_StartsOverAfterIt_WithoutLineage()
    {
        var (sender, receiver) = await SenderAndReceiverAsync();
        var (_, lost, seen) = await LoseTheLastWriteAsync(sender, receiver);
        var next = await sender.Client.SendToGroupAsync(Group, "next").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == next.Id, "the message after the owner change", TimeSpan.FromSeconds(30));
        await receiver.Lost.WaitForAsync(s => s.Contains(Stream), "the receiver is told its stream lost messages", TimeSpan.FromSeconds(30));

        var page = await ReadAsync();
        Assert.Multiple(() =>
        {
            Assert.That(next.Offset, Is.EqualTo(lost.Offset + 1), "no offset handed out twice: after the highest the sending node knows");
            Assert.That(page.Epoch, Is.Not.EqualTo(seen.Epoch));
            Assert.That(page.Lineage, Is.Empty, "the stream went back: its old log is dropped, not continued");
            Assert.That(page.Messages.Select(m => m.Id), Is.EqualTo(new[] { next.Id }));
            Assert.That(receiver.Messages.Items.Where(m => m.Stream == Stream).Select(m => m.Id), Is.Unique);
        });
    }

    /// <summary>
    /// Two messages reach the receiver; then the stream's master is made to look like a replica
    /// promoted without the second: its meta and log end one message earlier, and another master is
    /// named its owner.
    /// </summary>
    private async Task<(SendResult Kept, SendResult Lost, Message Seen)> LoseTheLastWriteAsync(TestClient sender, TestClient receiver)
    {
        var kept = await sender.Client.SendToGroupAsync(Group, "kept").Within();
        var lost = await sender.Client.SendToGroupAsync(Group, "lost").Within();
        var seen = await receiver.Messages.WaitForAsync(m => m.Id == lost.Id, "the message the new master will lack");
        var master = await MasterOfStreamAsync();
        await master.Admin.CommandAsync("XDEL", RedisKeys.StreamLog(Stream), $"{lost.Offset}-0");
        await master.Admin.CommandAsync("XSETID", RedisKeys.StreamLog(Stream), $"{kept.Offset}-0");
        await master.Admin.CommandAsync("HSET", RedisKeys.StreamMeta(Stream), "offset", kept.Offset.ToString(), "owner", AnotherMaster);
        return (kept, lost, seen);
    }

    /// <summary>The sender on node A, which holds no member of the group; the receiver, a member, on node B.</summary>
    private async Task<(TestClient Sender, TestClient Receiver)> SenderAndReceiverAsync()
    {
        var receiver = await ConnectAsync(NodeB, "bob");
        await receiver.Client.JoinAsync(Group).Within();
        var sender = await ConnectAsync(NodeA, "ann");
        return (sender, receiver);
    }

    private async Task<RedisProcess> MasterOfStreamAsync()
    {
        var port = await RedisCluster!.MasterOfAsync(HashSlot.Of(RedisKeys.StreamMeta(Stream)));
        return RedisCluster.Servers.Single(s => s.Port == port);
    }

    private static async Task<(string Owner, string MasterId)> OwnerAndMasterIdAsync(RedisProcess master) =>
        (await master.Admin.CommandAsync("HGET", RedisKeys.StreamMeta(Stream), "owner"), await master.Admin.CommandAsync("CLUSTER", "MYID"));

    private Task<HistoryPage> ReadAsync() =>
        NodeA.Services.GetRequiredService<IHistoryStore>().ReadAsync(Stream, 0, 100, CancellationToken.None).Within();
}
