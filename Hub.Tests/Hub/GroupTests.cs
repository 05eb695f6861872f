using Hub.Tests.Infrastructure;

namespace Hub.Tests.Hub;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class GroupTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task Join_TellsTheOtherMembersOnEveryNode_ButNotTheJoiner()
    {
        var first = await ConnectAsync(NodeA, "alice");
        await first.Client.JoinAsync("room").Within();
        var second = await ConnectAsync(NodeB, "bob");

        await second.Client.JoinAsync("room").Within();

        var joined = await first.Joined.WaitForAsync(e => e.ConnectionId == second.ConnectionId, "MemberJoined for bob");
        Assert.That(joined.Group, Is.EqualTo("room"));
        Assert.That(joined.User, Is.EqualTo("bob"));
        await DrainAsync(second, second);
        Assert.That(second.Joined.Items, Is.Empty);
    }

    [Test]
    public async Task Leave_TellsTheOtherMembers_AndStopsDelivery()
    {
        var stayer = await ConnectAsync(NodeA);
        var leaver = await ConnectAsync(NodeB, "bob");
        await stayer.Client.JoinAsync("room").Within();
        await leaver.Client.JoinAsync("room").Within();

        await leaver.Client.LeaveAsync("room").Within();

        var left = await stayer.Left.WaitForAsync(e => e.ConnectionId == leaver.ConnectionId, "MemberLeft");
        Assert.That(left.User, Is.EqualTo("bob"));
        var afterLeave = await stayer.Client.SendToGroupAsync("room", "after leave").Within();
        await DrainAsync(stayer, leaver);
        Assert.That(leaver.Messages.Items.Any(m => m.Id == afterLeave.Id), Is.False);
    }

    [Test]
    public async Task Disconnect_TellsTheMembersOfItsGroups_MemberLeft()
    {
        var stayer = await ConnectAsync(NodeA);
        var quitter = await ConnectAsync(NodeB, "bob");
        await stayer.Client.JoinAsync("room").Within();
        await quitter.Client.JoinAsync("room").Within();
        var quitterId = quitter.ConnectionId;

        await quitter.Client.StopAsync().Within();

        var left = await stayer.Left.WaitForAsync(e => e.ConnectionId == quitterId, "MemberLeft on disconnect");
        Assert.That(left.Group, Is.EqualTo("room"));
    }

    [Test]
    public async Task Leave_OfAGroupNotJoined_SucceedsAndDoesNothing()
    {
        var member = await ConnectAsync(NodeA);
        var other = await ConnectAsync(NodeB);
        await member.Client.JoinAsync("room").Within();

        await other.Client.LeaveAsync("room").Within();

        await DrainAsync(other, member);
        Assert.That(member.Left.Items, Is.Empty);
    }

    [Test]
    public async Task JoinResult_GivesTheGroupStreamsPosition()
    {
        var sender = await ConnectAsync(NodeA);
        await sender.Client.SendToGroupAsync("counted", "one").Within();
        await sender.Client.SendToGroupAsync("counted", "two").Within();
        var joiner = await ConnectAsync(NodeB);

        var joined = await joiner.Client.JoinAsync("counted").Within();
        var next = await sender.Client.SendToGroupAsync("counted", "three").Within();

        Assert.That(joined.Group, Is.EqualTo("counted"));
        Assert.That(joined.Offset, Is.EqualTo(2));
        Assert.That(joined.Epoch, Is.Not.Empty);
        Assert.That(next.Offset, Is.EqualTo(joined.Offset + 1));
        var message = await joiner.Messages.WaitForAsync(m => m.Id == next.Id, "the next group message");
        Assert.That(message.Epoch, Is.EqualTo(joined.Epoch));
    }

    [Test]
    public async Task GetPresence_CountsConnectionsUsersAndNodes_ClusterWide()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");
        var anonymous = await ConnectAsync(NodeB);
        await alice.Client.JoinAsync("room").Within();
        await bob.Client.JoinAsync("room").Within();

        var hub = await anonymous.Client.GetPresenceAsync().Within();
        var room = await alice.Client.GetPresenceAsync("room").Within();

        Assert.Multiple(() =>
        {
            Assert.That(hub.Group, Is.Null);
            Assert.That(hub.Connections, Is.EqualTo(3));
            Assert.That(hub.UserCount, Is.EqualTo(2));
            Assert.That(hub.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
            Assert.That(hub.Nodes.Sum(n => n.Connections), Is.EqualTo(3));
            Assert.That(room.Group, Is.EqualTo("room"));
            Assert.That(room.Connections, Is.EqualTo(2));
            Assert.That(room.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
        });
        if (IsMultiNode)
        {
            Assert.That(hub.Nodes.Select(n => (n.Id, n.Connections)), Is.EquivalentTo(new[] { ("node-a", 1L), ("node-b", 2L) }));
            Assert.That(room.Nodes.Select(n => (n.Id, n.Connections)), Is.EquivalentTo(new[] { ("node-a", 1L), ("node-b", 1L) }));
        }
    }
}
