using Hub.Server.Backplane;

namespace Hub.Tests.Backplane;

/// <summary>
/// Which connections a node closes on a replica (RedisBroker.StraySubscriptions.cs): its own, by
/// client name, and only those holding sharded subscriptions. Another node's, or one of its own with
/// none, stays. RoutedFailoverTests holds the whole on the real cluster.
/// </summary>
public sealed class StrayConnectionsTests
{
    [Test]
    public void OnlyThisNodesConnectionsWithShardedSubscriptions_AreClosed()
    {
        const string clients =
            "id=7 addr=127.0.0.1:50202 laddr=127.0.0.1:41761 fd=9 name=hub-node-b age=3 idle=0 flags=P db=0 sub=1 psub=0 ssub=23 multi=-1\n" +
            "id=8 addr=127.0.0.1:50186 laddr=127.0.0.1:41761 fd=10 name=hub-node-a age=3 idle=0 flags=P db=0 sub=1 psub=0 ssub=23 multi=-1\n" +
            "id=9 addr=127.0.0.1:50210 laddr=127.0.0.1:41761 fd=11 name=hub-node-b age=1 idle=0 flags=P db=0 sub=1 psub=0 ssub=0 multi=-1\n" +
            "id=10 addr=127.0.0.1:50222 laddr=127.0.0.1:41761 fd=12 name=hub-node-bb age=1 idle=0 flags=P db=0 sub=0 psub=0 ssub=2 multi=-1\n";

        Assert.Multiple(() =>
        {
            Assert.That(RedisBroker.StrayConnections(clients, "hub-node-b"), Is.EqualTo(new[] { "7" }));
            Assert.That(RedisBroker.StrayConnections("", "hub-node-b"), Is.Empty);
            Assert.That(RedisBroker.StrayConnections(null, "hub-node-b"), Is.Empty);
        });
    }
}
