using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Recovery;

/// <summary>
/// One node's bus subscription drops again and again (CLIENT KILL of its pub/sub connection in
/// Redis, as a network blip, a proxy or a client timeout does) while the other node publishes
/// steadily: the node fills each gap from history, so its clients — the .NET client and the JS
/// helper alike — get every accepted message once, in order, without reconnecting.
/// </summary>
public sealed class BusGapRecoveryTests
{
    private const string Group = Audience.Group;

    [Test]
    public async Task WhenANodesSubscriptionDropsAgainAndAgain_ItsClientsGetEveryAcceptedMessageOnce_InOrder_WithoutReconnecting()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await using var audience = await Audience.StartAsync(nodeA, nodeB);
        // Without a client library nothing resumes: only the node's own fill keeps this one whole.
        var (plainConnection, plain) = await PlainMemberAsync(nodeB);
        await using var plainDisposal = plainConnection;

        await using var publisher = audience.Publish();
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
        var receipts = await audience.EndAsync();
        var end = audience.Dave.Messages.Items.Last(m => m.Stream == Group);
        await plain.WaitForAsync(m => m.Id == end.Id, "the plain client's end of the group stream");

        var accepted = publisher.Accepted.Select(a => a.Result).ToList();
        var plainReceipt = new Receipt("a plain SignalR client (node B)", [.. plain.Items.Select(m => new Receipt.Item(m.Id, m.Stream, m.Epoch, m.Offset))], [], 0);
        Assert.Multiple(() =>
        {
            Assert.That(publisher.Refused, Is.Empty, "node A's sends never failed: only node B's subscription dropped");
            Assert.That(accepted.Count(a => a.Stream == Group), Is.GreaterThan(100));
            Audience.AssertDelivered(accepted, [.. receipts, plainReceipt]);
            foreach (var receipt in receipts.Append(plainReceipt))
            {
                Assert.That(receipt.LostStreams, Is.Empty, $"{receipt.Name}: history covered every gap");
                Assert.That(receipt.Reconnects, Is.Zero, $"{receipt.Name}: no reconnect");
            }
        });
    }

    [Test]
    public async Task AGapTheNodeCannotSee_IsResumedByTheClientLibraries_OnTheSameConnection()
    {
        // Node B has delivered no broadcast yet, so it does not know where the broadcast stream was
        // when its subscription dropped (a group's or a user's position it reads when a connection
        // joins or connects): only its clients, which asked for their streams' positions, can tell
        // that the next message skips some. A plain SignalR client shows the skip.
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await NodeProcess.StartAsync("node-b", settings);
        await using var bob = await TestClient.InGroupAsync(nodeB, "bob", "room");
        await using var carol = NodeScript.Start("recovery.mjs", nodeB.HubUrl.ToString(), "messagepack", "carol");
        await carol.WaitForAsync("ready");
        var (plainConnection, plain) = await PlainMemberAsync(nodeB);
        await using var plainDisposal = plainConnection;
        await using var sender = new TestClient(new HubClientOptions { Url = nodeA.HubUrl });
        await sender.Client.StartAsync().Within();

        var missed = await SendWhileCutOffAsync(redis, nodeB, i => sender.Client.SendAsync($"missed {i}"));
        var end = await sender.Client.SendAsync("end").Within();
        await bob.Messages.WaitForAsync(m => m.Id == end.Id, "bob's end of the broadcast stream");
        await plain.WaitForAsync(m => m.Id == end.Id, "the plain client's end of the broadcast stream");
        var carolsReceipt = Receipt.Of("carol (JS, node B)", await carol.WaitForAsync("received"));

        var accepted = missed.Append(end).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(plain.Items.Select(m => m.Id), Is.EqualTo(new[] { end.Id }), "node B's bus missed the five: a gap only its clients can see");
            Receipt.Of("bob (.NET, node B)", bob).AssertEveryAcceptedMessageOnce(accepted, "all");
            carolsReceipt.AssertEveryAcceptedMessageOnce(accepted, "all");
            Assert.That(bob.Lost.Items, Is.Empty);
            Assert.That(carolsReceipt.LostStreams, Is.Empty);
        });
    }

    [Test]
    public async Task AGapInAGroupJoinedWhileItWasEmpty_IsFilledByTheNode_ThoughItDeliveredNothingYet()
    {
        // The join read the group's position (empty: no epoch, offset 0), so node B knows its first
        // message is offset 1 and fills what its dropped subscription lost: even a plain SignalR
        // client, which cannot resume, receives every message.
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await NodeProcess.StartAsync("node-b", settings);
        var (plainConnection, plain) = await PlainMemberAsync(nodeB);
        await using var plainDisposal = plainConnection;
        await using var sender = new TestClient(new HubClientOptions { Url = nodeA.HubUrl });
        await sender.Client.StartAsync().Within();

        var accepted = await SendWhileCutOffAsync(redis, nodeB, i => sender.Client.SendToGroupAsync("room", $"missed {i}"));
        accepted.Add(await sender.Client.SendToGroupAsync("room", "end").Within());
        await plain.WaitForCountAsync(accepted.Count, "the plain client's six messages");
        Assert.That(plain.Items.Select(m => m.Id), Is.EqualTo(accepted.Select(a => a.Id)), "every message once, in order");
    }

    /// <summary>
    /// Five sends while node B is stopped and its pub/sub connection dropped: it reads nothing, Redis
    /// drops what it had not sent yet, and it cannot reconnect before it goes on. Returns once node B
    /// is ready again.
    /// </summary>
    private static async Task<List<SendResult>> SendWhileCutOffAsync(RedisServer redis, NodeProcess nodeB, Func<int, Task<SendResult>> send)
    {
        nodeB.Pause();
        var sent = new List<SendResult>();
        try
        {
            Assert.That(await redis.KillSubscriptionsAsync("hub-node-b").Within(), Is.EqualTo(1));
            for (var i = 0; i < 5; i++)
            {
                sent.Add(await send(i).Within());
            }
        }
        finally
        {
            nodeB.Continue();
        }

        await nodeB.WaitUntilReadyAsync();
        return sent;
    }

    /// <summary>A plain SignalR connection in the group: no tracking, no resume, no reconnect.</summary>
    private static async Task<(HubConnection Connection, Inbox<Message> Received)> PlainMemberAsync(HubNode node)
    {
        var received = new Inbox<Message>();
        var connection = new HubConnectionBuilder().WithUrl(node.HubUrl).Build();
        connection.On<Message>("Receive", received.Add);
        await connection.StartAsync().Within();
        await connection.InvokeAsync<JoinResult>("Join", "room").Within();
        return (connection, received);
    }
}
