using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Recovery;

/// <summary>
/// The server side of recovery, seen through a plain SignalR connection so every frame counts.
/// The SignalR client runs handlers on their own loop, so a replayed message can reach its
/// handler after the Resume call returned: the tests wait for the count, then check everything.
/// </summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class ResumeTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task Resume_ReplaysWhatWasMissed_InOffsetOrder_AndSaysWhereTheStreamIs()
    {
        var sender = await ConnectAsync(NodeA);
        var sent = await SendToGroupAsync(sender, "room", 30);
        var (connection, received) = await ConnectRawAsync(NodeB);
        var joined = await connection.InvokeAsync<JoinResult>("Join", "room").Within();

        var result = await ResumeAsync(connection, new StreamPosition { Stream = "group:room", Epoch = joined.Epoch, Offset = 10 });
        await received.WaitForCountAsync(20, "the replayed messages");

        Assert.That(result.Streams, Has.Count.EqualTo(1));
        var stream = result.Streams[0];
        Assert.Multiple(() =>
        {
            Assert.That(stream.Recovered, Is.True);
            Assert.That(stream.Missed, Is.EqualTo(20));
            Assert.That(stream.Offset, Is.EqualTo(30));
            Assert.That(stream.Epoch, Is.EqualTo(joined.Epoch));
            Assert.That(received.Items.Select(m => m.Offset), Is.EqualTo(Enumerable.Range(11, 20).Select(i => (long)i)));
            Assert.That(received.Items.Select(m => m.Id), Is.EqualTo(sent.Skip(10).Select(r => r.Id)));
        });
    }

    [Test]
    public async Task Resume_OfTheAllAndUserStreams_ReplaysThem()
    {
        var sender = await ConnectAsync(NodeA);
        var broadcasts = new List<SendResult>();
        var direct = new List<SendResult>();
        for (var i = 0; i < 5; i++)
        {
            broadcasts.Add(await sender.Client.SendAsync($"all {i}").Within());
            direct.Add(await sender.Client.SendToUserAsync("alice", $"alice {i}").Within());
        }

        var (connection, received) = await ConnectRawAsync(NodeB, "alice");
        var positions = await ResumeAsync(connection);
        var all = positions.Streams.Single(s => s.Stream == "all");
        var user = positions.Streams.Single(s => s.Stream == "user:alice");

        var result = await ResumeAsync(connection,
            new StreamPosition { Stream = "all", Epoch = all.Epoch, Offset = all.Offset - 3 },
            new StreamPosition { Stream = "user:alice", Epoch = user.Epoch, Offset = 0 });
        await received.WaitForCountAsync(8, "the replayed messages");

        Assert.Multiple(() =>
        {
            Assert.That(result.Streams.Select(s => (s.Stream, s.Recovered, s.Missed)),
                Is.EqualTo(new[] { ("all", true, 3), ("user:alice", true, 5) }));
            Assert.That(received.Items.Select(m => m.Id), Is.EqualTo(broadcasts.Skip(2).Concat(direct).Select(r => r.Id)));
        });
    }

    [Test]
    public async Task Resume_WithAnEmptyList_ReturnsThePositionsOfTheImplicitStreams()
    {
        var sender = await ConnectAsync(NodeA);
        await sender.Client.SendAsync("one").Within();
        var last = await sender.Client.SendAsync("two").Within();
        var (connection, received) = await ConnectRawAsync(NodeB, "carol");

        var result = await ResumeAsync(connection);

        Assert.That(result.Streams.Select(s => (s.Stream, s.Offset)), Is.EqualTo(new[] { ("all", last.Offset), ("user:carol", 0L) }));
        Assert.That(result.Streams[0].Epoch, Is.Not.Empty);
        Assert.That(result.Streams[1].Epoch, Is.Empty, "a stream that never had a message has no epoch yet");
        Assert.That(received.Items, Is.Empty);
    }

    [Test]
    public async Task Resume_FromAnotherEpoch_IsNotRecovered_AndReplaysWhatTheNewEpochHolds()
    {
        var sender = await ConnectAsync(NodeA);
        var sent = await SendToGroupAsync(sender, "room", 3);
        var (connection, received) = await ConnectRawAsync(NodeB);
        var joined = await connection.InvokeAsync<JoinResult>("Join", "room").Within();

        var result = await ResumeAsync(connection, new StreamPosition { Stream = "group:room", Epoch = "gone", Offset = 7 });
        await received.WaitForCountAsync(3, "the replayed messages");

        Assert.Multiple(() =>
        {
            Assert.That(result.Streams[0].Recovered, Is.False);
            Assert.That(result.Streams[0].Epoch, Is.EqualTo(joined.Epoch));
            Assert.That(result.Streams[0].Offset, Is.EqualTo(3));
            Assert.That(received.Items.Select(m => m.Id), Is.EqualTo(sent.Select(r => r.Id)));
        });
    }

    [Test]
    public async Task Resume_FromBeyondTheStream_ReplaysNothing_IsNotRecovered_AndSaysWhereTheStreamIs()
    {
        var sender = await ConnectAsync(NodeA);
        await SendToGroupAsync(sender, "room", 2);
        var (connection, _) = await ConnectRawAsync(NodeB);
        var joined = await connection.InvokeAsync<JoinResult>("Join", "room").Within();

        var result = await ResumeAsync(connection, new StreamPosition { Stream = "group:room", Epoch = joined.Epoch, Offset = long.MaxValue });

        // Ahead of the stream means its stored position went back: what the caller saw is gone.
        Assert.That((result.Streams[0].Recovered, result.Streams[0].Missed, result.Streams[0].Offset), Is.EqualTo((false, 0, 2L)));
    }

    [Test]
    public async Task Resume_OfAGroupTheCallerIsNotIn_ReplaysNothing()
    {
        var sender = await ConnectAsync(NodeA);
        await SendToGroupAsync(sender, "secret", 3);
        var (connection, received) = await ConnectRawAsync(NodeB);

        var result = await ResumeAsync(connection,
            new StreamPosition { Stream = "group:secret", Epoch = "", Offset = 0 },
            new StreamPosition { Stream = "user:someone-else", Epoch = "", Offset = 0 });

        Assert.That(result.Streams.Select(s => (s.Recovered, s.Missed)), Is.EqualTo(new[] { (false, 0), (false, 0) }));
        await DrainAsync(sender, await ConnectAsync(NodeB));
        Assert.That(received.Items.Where(m => m.Stream != "all"), Is.Empty);
    }

    [TestCase("nonsense", "is not a stream name")]
    [TestCase("group:", "is not a stream name")]
    [TestCase("group:a/b", "is not a stream name")]
    [TestCase("topic:x", "is not a stream name")]
    public async Task Resume_WithABadStreamName_FailsWithAClearError_AndTheConnectionCarriesOn(string stream, string expected)
    {
        var (connection, _) = await ConnectRawAsync(NodeA);

        var error = Assert.ThrowsAsync<HubException>(() => ResumeAsync(connection, new StreamPosition { Stream = stream }));

        Assert.That(error!.Message, Does.Contain(expected));
        Assert.That(await connection.InvokeAsync<JoinResult>("Join", "still-works").Within(), Is.Not.Null);
    }

    [Test]
    public async Task Resume_WithoutAList_OrWithAStreamTwice_FailsWithAClearError()
    {
        var (connection, _) = await ConnectRawAsync(NodeA);

        var missing = Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<ResumeResult>("Resume", (object?)null).Within());
        var twice = Assert.ThrowsAsync<HubException>(() => ResumeAsync(connection,
            new StreamPosition { Stream = "all" }, new StreamPosition { Stream = "all" }));
        var negative = Assert.ThrowsAsync<HubException>(() => ResumeAsync(connection, new StreamPosition { Stream = "all", Offset = -1 }));

        Assert.Multiple(() =>
        {
            Assert.That(missing!.Message, Does.Contain("no 'streams' list"));
            Assert.That(twice!.Message, Does.Contain("named twice"));
            Assert.That(negative!.Message, Does.Contain("offset of 0 or more"));
        });
    }

    [Test]
    public async Task ConcurrentPublishersOnTwoNodes_ShareOneGaplessOffsetSequence_ThatMembersReceiveInOrder()
    {
        var member = await ConnectAsync(NodeB);
        await member.Client.JoinAsync("room").Within();
        var first = await ConnectAsync(NodeA);
        var second = await ConnectAsync(NodeB);

        var results = await Task.WhenAll(SendToGroupAsync(first, "room", 100), SendToGroupAsync(second, "room", 100)).Within(TimeSpan.FromSeconds(30));
        await member.Messages.WaitForCountAsync(200, "all 200 group messages");

        var offsets = results.SelectMany(r => r).Select(r => r.Offset).Order().ToList();
        Assert.That(offsets, Is.EqualTo(Enumerable.Range(1, 200).Select(i => (long)i)));
        Assert.That(member.Messages.Items.Select(m => m.Offset), Is.EqualTo(offsets));
    }

    private static async Task<List<SendResult>> SendToGroupAsync(TestClient sender, string group, int count)
    {
        var results = new List<SendResult>(count);
        for (var i = 0; i < count; i++)
        {
            results.Add(await sender.Client.SendToGroupAsync(group, $"{group} {i}").Within());
        }

        return results;
    }

    private static Task<ResumeResult> ResumeAsync(HubConnection connection, params StreamPosition[] positions) =>
        connection.InvokeAsync<ResumeResult>("Resume", new ResumeRequest { Streams = positions }).Within();

    private async Task<(HubConnection Connection, Inbox<Message> Received)> ConnectRawAsync(HubNode node, string? user = null)
    {
        var connection = Own(new HubConnectionBuilder().WithUrl(TestClient.HubUrl(node, user)).Build());
        var received = new Inbox<Message>();
        connection.On<Message>(nameof(IHubClient.Receive), received.Add);
        await connection.StartAsync().Within();
        return (connection, received);
    }
}
