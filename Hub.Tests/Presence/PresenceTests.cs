using Hub.Client;
using Hub.Server.Presence;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Presence;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class PresenceTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task BothNodes_GiveTheSameCounts_AsClientsComeAndGo()
    {
        var onA = await ConnectAsync(NodeA, "alice");
        var onB = await ConnectAsync(NodeB, "alice");
        var other = await ConnectAsync(NodeB, "bob");
        foreach (var client in new[] { onA, onB, other })
        {
            await client.Client.JoinAsync("room").Within();
        }

        await ExpectEverywhereAsync(onA, other, connections: 3, users: ["alice", "bob"]);

        await other.Client.LeaveAsync("room").Within();
        await ExpectEverywhereAsync(onA, onB, connections: 2, users: ["alice"]);

        await onB.Client.StopAsync().Within();
        // The server sees a disconnect after the client does: wait for it, then check both nodes.
        await Bounded.UntilAsync(async () => (await onA.Client.GetPresenceAsync("room")).Connections == 1, "the disconnect reached presence");
        await ExpectEverywhereAsync(onA, other, connections: 1, users: ["alice"]);
    }

    [Test]
    public async Task AGroupLargerThanTheUserList_IsCountedInFull_WithTheListCappedAt1000()
    {
        // Through the store itself: a thousand real connections would test the machine, not the rule.
        var store = NodeA.Services.GetRequiredService<IPresenceStore>();
        for (var i = 0; i < 1005; i++)
        {
            var id = $"conn-{i}";
            var entry = new ConnectionEntry(id, $"user-{i}", NodeA.NodeId);
            await store.AddConnectionAsync(entry, CancellationToken.None).Within();
            await store.JoinAsync("crowd", entry, 100, CancellationToken.None).Within();
        }

        var crowd = await store.GetSnapshotAsync("crowd", CancellationToken.None).Within();
        var hub = await store.GetSnapshotAsync(null, CancellationToken.None).Within();

        Assert.Multiple(() =>
        {
            Assert.That((crowd.Connections, crowd.UserCount, crowd.Users.Count), Is.EqualTo((1005L, 1005L, 1000)));
            Assert.That(crowd.Users, Is.Unique);
            Assert.That((hub.Connections, hub.UserCount, hub.Users.Count), Is.EqualTo((1005L, 1005L, 1000)));
        });
    }

    private static async Task ExpectEverywhereAsync(TestClient onA, TestClient onB, long connections, string[] users)
    {
        foreach (var client in new[] { onA, onB })
        {
            var room = await client.Client.GetPresenceAsync("room").Within();
            Assert.That((room.Connections, room.Users), Is.EqualTo((connections, users)), $"presence seen from {client.ConnectionId}");
            Assert.That(room.Nodes.Sum(n => n.Connections), Is.EqualTo(connections));
        }
    }
}
