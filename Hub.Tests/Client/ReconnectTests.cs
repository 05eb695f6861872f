using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Client;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class ReconnectTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task AfterItsNodeRestarts_TheClientReconnectsThroughTheSameUrl_AndRejoinsItsGroups()
    {
        var member = await ConnectAsync(NodeB, "bob");
        await member.Client.JoinAsync("room").Within();
        var firstId = member.ConnectionId;
        var port = NodeB.BaseUrl.Port;

        await NodeB.StopAsync();
        var restarted = Own(await StartNodeAsync("node-b", port));
        await member.Reconnected.WaitForCountAsync(1, "the reconnect");

        var sender = await ConnectAsync(Topology == Topology.Redis ? NodeA : restarted);
        var result = await sender.Client.SendToGroupAsync("room", "after the restart").Within();

        await member.Messages.WaitForAsync(m => m.Id == result.Id, "the group message after the reconnect");
        Assert.That(member.ConnectionId, Is.Not.EqualTo(firstId));
        var presence = await sender.Client.GetPresenceAsync("room").Within();
        Assert.That(presence.Connections, Is.EqualTo(1));
    }
}

/// <summary>Moving to another node needs two nodes, so this runs in the Redis topology only.</summary>
public sealed class FailoverTests() : ClusterTest(Topology.Redis)
{
    [Test]
    public async Task AfterItsNodeStops_TheClientMovesToTheNextUrl_AndRejoinsItsGroups()
    {
        var member = Own(new TestClient(new HubClientOptions
        {
            Urls = [TestClient.HubUrl(NodeB, "bob"), TestClient.HubUrl(NodeA, "bob")],
        }));
        await member.Client.StartAsync().Within();
        await member.Client.JoinAsync("room").Within();
        var sender = await ConnectAsync(NodeA);

        await NodeB.StopAsync();
        await member.Reconnected.WaitForCountAsync(1, "the reconnect to node A");
        var result = await sender.Client.SendToGroupAsync("room", "on node A now").Within();

        await member.Messages.WaitForAsync(m => m.Id == result.Id, "the group message after moving");
        var presence = await sender.Client.GetPresenceAsync("room").Within();
        Assert.That(presence.Nodes.Select(n => n.Id), Is.EqualTo(new[] { "node-a" }));
    }
}
