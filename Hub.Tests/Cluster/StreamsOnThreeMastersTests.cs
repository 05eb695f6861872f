using Hub.Client;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Cluster;

/// <summary>
/// A group, a user and a connection whose streams (and presence) live on three different masters
/// of the cluster: a 1-master cluster would hide a script that reaches into another slot, since
/// Redis lets a script touch an undeclared key of a slot on its own master. With interest routing
/// (the default) and with the one classic bus channel a cluster can still be run with.
/// </summary>
[TestFixture(true)]
[TestFixture(false)]
public sealed class StreamsOnThreeMastersTests(bool interestRouting) : ClusterTest(Topology.RedisCluster)
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Hub:InterestRouting"] = interestRouting ? "true" : "false" };

    [Test]
    public async Task GroupUserAndConnectionOnThreeMasters_EachCrossesNodes_WithOffsetsAndPresence()
    {
        var (receiver, user) = await ConnectOnTwoMastersAsync();
        var connectionMaster = await MasterOfStreamAsync("connection:" + receiver.ConnectionId);
        var userMaster = await MasterOfStreamAsync("user:" + user);
        var group = await NameOnAnotherMasterAsync("room-", connectionMaster, userMaster);
        var sender = await ConnectAsync(NodeA, "sender");
        await receiver.Client.JoinAsync(group).Within();

        var toGroup = await sender.Client.SendToGroupAsync(group, "to the group").Within();
        var toUser = await sender.Client.SendToUserAsync(user, "to the user").Within();
        var toConnection = await sender.Client.SendToConnectionAsync(receiver.ConnectionId, "to the connection").Within();

        foreach (var sent in new[] { toGroup, toUser, toConnection })
        {
            await receiver.Messages.WaitForAsync(m => m.Id == sent.Id, $"the message to {sent.Stream}");
        }

        var room = await sender.Client.GetPresenceAsync(group).Within();
        var hub = await sender.Client.GetPresenceAsync().Within();
        Assert.Multiple(() =>
        {
            Assert.That(new[] { toGroup.Offset, toUser.Offset, toConnection.Offset }, Is.EqualTo(new[] { 1L, 1L, 1L }));
            Assert.That(room.Connections, Is.EqualTo(1));
            Assert.That(room.Users, Is.EqualTo(new[] { user }));
            Assert.That(room.Nodes.Select(n => (n.Id, n.Connections)), Is.EqualTo(new[] { ("node-b", 1L) }));
            Assert.That((hub.Connections, hub.UserCount), Is.EqualTo((2L, 2L)));
            Assert.That(hub.Nodes.Select(n => (n.Id, n.Connections)), Is.EqualTo(new[] { ("node-a", 1L), ("node-b", 1L) }));
        });

        await receiver.DisposeAsync();
        await Bounded.UntilAsync(async () => (await sender.Client.GetPresenceAsync(group)).Connections == 0, "the closed connection left the group");
        var after = await sender.Client.GetPresenceAsync().Within();
        Assert.That((after.Connections, after.UserCount, after.Users.Single()), Is.EqualTo((1L, 1L, "sender")));
    }

    // The user is chosen first (it is in the URL); a connection whose id falls on the user's master
    // is replaced, a bounded number of times (each lands on another master with odds 2 in 3).
    private async Task<(TestClient Receiver, string User)> ConnectOnTwoMastersAsync()
    {
        const string user = "bob";
        var userMaster = await MasterOfStreamAsync("user:" + user);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var client = await ConnectAsync(NodeB, user);
            if (await MasterOfStreamAsync("connection:" + client.ConnectionId) != userMaster)
            {
                return (client, user);
            }

            await client.DisposeAsync();
        }

        throw new AssertionException("20 connections in a row fell on the user's master: the partitions do not spread over the masters.");
    }

    private async Task<string> NameOnAnotherMasterAsync(string prefix, params int[] taken)
    {
        for (var i = 0; i < 100; i++)
        {
            var master = await MasterOfStreamAsync($"group:{prefix}{i}");
            if (!taken.Contains(master))
            {
                return prefix + i;
            }
        }

        throw new AssertionException("100 group names all fell on two masters: the partitions do not spread over the masters.");
    }

    private Task<int> MasterOfStreamAsync(string stream) => RedisCluster!.MasterOfAsync(HashSlot.Of(RedisKeys.StreamMeta(stream)));
}
