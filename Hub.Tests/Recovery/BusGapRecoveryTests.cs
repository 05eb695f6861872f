using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Recovery;

/// <summary>
/// One node's bus subscription drops again and again (CLIENT KILL of its pub/sub connection in
/// Redis, as a network blip, a proxy or a client timeout does) while the other node publishes
/// steadily: the node fills each gap from history, so its clients — the .NET client and the JS
/// helper alike — get every accepted message once, in order, without reconnecting.
/// </summary>
public sealed class BusGapRecoveryTests
{
    private const string Group = "group:room";
    private const string User = "user:bob";

    [Test]
    public async Task WhenANodesSubscriptionDropsAgainAndAgain_ItsClientsGetEveryAcceptedMessageOnce_InOrder_WithoutReconnecting()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await using var bob = await ReceiverAsync(nodeB, "bob");
        await using var dave = await ReceiverAsync(nodeA, "dave");
        await using var carol = NodeScript.Start("recovery.mjs", nodeB.HubUrl.ToString(), "json", "carol");
        await carol.WaitForAsync("ready");
        await using var sender = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeA, "alice") });
        await sender.Client.StartAsync().Within();

        await using var publisher = SteadyPublisher.Start(sender.Client, [Group, User]);
        for (var blip = 0; blip < 6; blip++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(700));
            Assert.That(await redis.KillSubscriptionsAsync("hub-node-b").Within(), Is.EqualTo(1), "node B's pub/sub connection was found and dropped");
        }

        // A longer gap: Redis answers no one for a while right after the drop, so the node's
        // reconnect waits, and so do the publisher's sends, queued in Redis until it goes on.
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        await redis.KillSubscriptionsAsync("hub-node-b").Within();
        await redis.PauseAsync(TimeSpan.FromMilliseconds(1500)).Within();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await publisher.StopAsync();

        var end = await sender.Client.SendToGroupAsync("room", "end").Within();
        var endBob = await sender.Client.SendToUserAsync("bob", "end").Within();
        await bob.Messages.WaitForAsync(m => m.Id == end.Id, "bob's end of the group stream");
        await bob.Messages.WaitForAsync(m => m.Id == endBob.Id, "bob's end of his user stream");
        await dave.Messages.WaitForAsync(m => m.Id == end.Id, "dave's end of the group stream");
        var carolsReceipt = Receipt.Of("carol (JS, node B)", await carol.WaitForAsync("received"));

        var accepted = publisher.Accepted.Select(a => a.Result).ToList();
        var receipts = new[] { Receipt.Of("bob (.NET, node B)", bob), Receipt.Of("dave (.NET, node A)", dave), carolsReceipt };
        Assert.Multiple(() =>
        {
            Assert.That(publisher.Refused, Is.Empty, "node A's sends never failed: only node B's subscription dropped");
            Assert.That(accepted.Count(a => a.Stream == Group), Is.GreaterThan(100));
            receipts[0].AssertEveryAcceptedMessageOnce(accepted, Group, User);
            receipts[1].AssertEveryAcceptedMessageOnce(accepted, Group);
            receipts[2].AssertEveryAcceptedMessageOnce(accepted, Group);
            foreach (var receipt in receipts)
            {
                Assert.That(receipt.LostStreams, Is.Empty, $"{receipt.Name}: history covered every gap");
            }

            Receipt.AssertNoPositionNamesTwoMessages(receipts);
        });
    }

    private static async Task<TestClient> ReceiverAsync(HubNode node, string user)
    {
        var client = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, user) });
        await client.Client.StartAsync().Within();
        await client.Client.JoinAsync("room").Within();
        return client;
    }
}
