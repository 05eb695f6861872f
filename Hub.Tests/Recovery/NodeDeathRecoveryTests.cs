using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Recovery;

/// <summary>
/// A client whose node dies (SIGKILL of a real process: no disconnect handler runs) comes back
/// through another node and resumes. The client waits 2 s before reconnecting, so the messages
/// of each test are sent while it is away.
/// </summary>
public sealed class NodeDeathRecoveryTests() : ClusterTest(Topology.Redis)
{
    [TestCase("group")]
    [TestCase("user")]
    [TestCase("all")]
    public async Task AfterItsNodeIsKilled_AClientResumesOnAnotherNode_AndSeesEveryMissedMessageOnce_InOrder(string kind)
    {
        var (member, nodeB) = await ConnectThroughDoomedNodeAsync();
        await member.Client.JoinAsync("room").Within();
        var sender = await ConnectAsync(NodeA);
        var before = await SendAsync(sender, kind, "before");
        await member.Messages.WaitForAsync(m => m.Id == before.Id, "the message before the kill");

        await nodeB.KillAsync();
        var missed = new List<SendResult>();
        for (var i = 0; i < 200; i++)
        {
            missed.Add(await SendAsync(sender, kind, $"missed {i}"));
        }

        Assert.That(member.Reconnected.Items, Is.Empty, "the client must still be away while the 200 are sent");
        await member.Reconnected.WaitForCountAsync(1, "the reconnect through node A");
        var after = await SendAsync(sender, kind, "after");
        await member.Messages.WaitForAsync(m => m.Id == after.Id, "the message after the reconnect");

        var stream = member.Messages.Items.Where(m => m.Stream == before.Stream).Select(m => m.Id);
        var expected = missed.Select(r => r.Id).Prepend(before.Id).Append(after.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stream, Is.EqualTo(expected), $"every message of {before.Stream} exactly once, in order");
            Assert.That(member.Messages.Items.Select(m => m.Id), Is.Unique);
            Assert.That(member.Lost.Items, Is.Empty);
        });
    }

    [Test]
    public async Task WhenRedisLostItsData_TheResumeSaysSo_AndReplaysTheNewEpoch()
    {
        var (member, nodeB) = await ConnectThroughDoomedNodeAsync();
        var joined = await member.Client.JoinAsync("room").Within();
        var sender = await ConnectAsync(NodeA);
        var before = await SendAsync(sender, "group", "before");
        await member.Messages.WaitForAsync(m => m.Id == before.Id, "the message before the flush");

        await nodeB.KillAsync();
        await Redis!.FlushAllAsync().Within();
        var afterFlush = new List<SendResult>();
        for (var i = 0; i < 5; i++)
        {
            afterFlush.Add(await SendAsync(sender, "group", $"after the flush {i}"));
        }

        var lost = await member.Lost.WaitForAsync(streams => streams.Contains("group:room"), "MessagesLost for the group stream");
        var replayed = await member.Messages.WaitForAsync(m => m.Id == afterFlush[^1].Id, "the new epoch's messages");

        Assert.Multiple(() =>
        {
            Assert.That(afterFlush.Select(r => r.Offset), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }), "offsets start over");
            Assert.That(replayed.Epoch, Is.Not.EqualTo(joined.Epoch).And.Not.Empty);
            Assert.That(member.Messages.Items.Where(m => m.Stream == "group:room").Select(m => m.Id),
                Is.EqualTo(afterFlush.Select(r => r.Id).Prepend(before.Id)));
        });
    }

    private async Task<(TestClient Member, NodeProcess NodeB)> ConnectThroughDoomedNodeAsync()
    {
        var nodeB = await StartNodeProcessAsync("node-b-process");
        var member = Own(new TestClient(new HubClientOptions
        {
            Urls = [TestClient.HubUrl(nodeB, "bob"), TestClient.HubUrl(NodeA, "bob")],
            ReconnectPolicy = new FixedDelay(TimeSpan.FromSeconds(2)),
        }));
        await member.Client.StartAsync().Within();
        return (member, nodeB);
    }

    internal static Task<SendResult> SendAsync(TestClient sender, string kind, string text) => kind switch
    {
        "group" => sender.Client.SendToGroupAsync("room", text).Within(),
        "user" => sender.Client.SendToUserAsync("bob", text).Within(),
        _ => sender.Client.SendAsync(text).Within(),
    };

    internal sealed class FixedDelay(TimeSpan delay) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) => delay;
    }
}

/// <summary>History that no longer reaches back, or no history at all: the client is told what it lost.</summary>
[TestFixture(10)]
[TestFixture(0)]
public sealed class UnrecoverableGapTests(int historySize) : ClusterTest(Topology.Redis)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:History:Size"] = historySize.ToString(),
    };

    [Test]
    public async Task AGapLongerThanTheHistory_RaisesMessagesLost_AndDeliversWhatIsKept()
    {
        var nodeB = await StartNodeProcessAsync("node-b-process");
        var member = Own(new TestClient(new HubClientOptions
        {
            Urls = [TestClient.HubUrl(nodeB, "bob"), TestClient.HubUrl(NodeA, "bob")],
            ReconnectPolicy = new NodeDeathRecoveryTests.FixedDelay(TimeSpan.FromSeconds(1)),
        }));
        await member.Client.StartAsync().Within();
        await member.Client.JoinAsync("room").Within();
        var sender = await ConnectAsync(NodeA);

        await nodeB.KillAsync();
        var missed = new List<SendResult>();
        for (var i = 0; i < 30; i++)
        {
            missed.Add(await NodeDeathRecoveryTests.SendAsync(sender, "group", $"missed {i}"));
        }

        var lost = await member.Lost.WaitForAsync(streams => streams.Contains("group:room"), "MessagesLost for the group stream");
        await member.Reconnected.WaitForCountAsync(1, "the reconnect");
        var after = await NodeDeathRecoveryTests.SendAsync(sender, "group", "after");
        await member.Messages.WaitForAsync(m => m.Id == after.Id, "the message after the reconnect");

        var kept = missed.Skip(30 - historySize).Select(r => r.Id).Append(after.Id);
        Assert.Multiple(() =>
        {
            Assert.That(member.Messages.Items.Where(m => m.Stream == "group:room").Select(m => m.Id), Is.EqualTo(kept));
            Assert.That(lost, historySize == 0 ? Does.Contain("all") : Does.Not.Contain("all"),
                "without history the client cannot know whether it missed broadcasts; with it, it knows it missed none");
        });
    }
}
