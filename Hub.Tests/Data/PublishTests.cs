using System.Text.Json;
using Hub.Client;
using Hub.Client.Internal;
using Hub.Tests.Infrastructure;
using MessagePack;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Data;

/// <summary>Messages with an event and data: published over either protocol, through every node and history, read back unchanged.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class PublishTests(Topology topology) : ClusterTest(topology)
{
    private static readonly HubProtocolKind[] Protocols = [HubProtocolKind.Json, HubProtocolKind.MessagePack];

    [Test]
    public async Task EveryShapeOfData_PublishedOverEitherProtocol_ArrivesIdentical_OverBothProtocols_OnTheOtherNode([Values] HubProtocolKind sender)
    {
        var publisher = await ConnectAsync(NodeA, "ada", sender);
        var receivers = new[] { await ConnectAsync(NodeB, "bob", HubProtocolKind.Json), await ConnectAsync(NodeB, "cy", HubProtocolKind.MessagePack) };

        var sent = new List<(string Name, JsonElement Data, SendResult Result)>();
        foreach (var (name, json) in DataShapes.All)
        {
            var data = DataShapes.Parse(json);
            sent.Add((name, data, await publisher.Client.PublishAsync("all", "shape", data).Within()));
        }

        for (var r = 0; r < receivers.Length; r++)
        {
            foreach (var (name, data, result) in sent)
            {
                var message = await receivers[r].Messages.WaitForAsync(m => m.Id == result.Id, name);
                var what = $"{name}, from {sender} to {Protocols[r]}";
                DataShapes.AssertSame(data, message.Data, what);
                Assert.That((message.Event, message.User, message.Offset), Is.EqualTo(("shape", "ada", result.Offset)), what);
                Assert.That(message.Text, Is.EqualTo(data.ValueKind == JsonValueKind.String ? data.GetString() : null), what);
            }
        }
    }

    [Test]
    public async Task EveryShapeOfData_ComesBackIdentical_FromHistory_ThroughResume([Values] HubProtocolKind protocol)
    {
        var json = await ConnectAsync(NodeA, "ada", HubProtocolKind.Json);
        var messagePack = await ConnectAsync(NodeA, "ada", HubProtocolKind.MessagePack);
        var before = await json.Client.SendAsync("before").Within();
        var epoch = (await json.Messages.WaitForAsync(m => m.Id == before.Id, "the first broadcast")).Epoch;
        var sent = new List<(string Name, JsonElement Data, SendResult Result)>();
        foreach (var (name, shape) in DataShapes.All)
        {
            // Half published as JSON, half as MessagePack.
            var publisher = sent.Count % 2 == 0 ? json : messagePack;
            sent.Add((name, DataShapes.Parse(shape), await publisher.Client.PublishAsync("all", "shape", DataShapes.Parse(shape)).Within()));
        }

        await using var late = await ConnectRawAsync(NodeB, protocol);
        var resumed = await late.Connection.InvokeAsync<ResumeResult>("Resume",
            new ResumeRequest { Streams = [new StreamPosition { Stream = "all", Epoch = epoch, Offset = before.Offset }] }).Within();
        await late.Received.WaitForCountAsync(sent.Count, "the replayed messages");

        Assert.That(resumed.Streams.Single().Recovered, Is.True);
        var replayed = late.Received.Items;
        Assert.That(replayed.Select(m => m.Id), Is.EqualTo(sent.Select(s => s.Result.Id)));
        for (var i = 0; i < sent.Count; i++)
        {
            DataShapes.AssertSame(sent[i].Data, replayed[i].Data, $"{sent[i].Name}, replayed over {protocol}");
            Assert.That(replayed[i].Event, Is.EqualTo("shape"));
        }
    }

    [Test]
    public async Task Text_ArrivesAsTheMessageEvent_WithTheTextAsData_AndAStringPublishedReadsAsText([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, protocol: protocol);
        var receiver = await ConnectAsync(NodeB, protocol: protocol);

        var text = await sender.Client.SendAsync("hi").Within();
        var note = await sender.Client.PublishAsync("all", "note", "a string").Within();
        var order = await sender.Client.PublishAsync("all", "order", new Order("o-1", 3, [1.5, 2])).Within();

        var asText = await receiver.Messages.WaitForAsync(m => m.Id == text.Id, "the text");
        var asNote = await receiver.Messages.WaitForAsync(m => m.Id == note.Id, "the note");
        var asOrder = await receiver.Messages.WaitForAsync(m => m.Id == order.Id, "the order");
        Assert.Multiple(() =>
        {
            Assert.That((asText.Event, asText.Data.GetString(), asText.Text), Is.EqualTo(("message", "hi", "hi")));
            Assert.That((asNote.Event, asNote.Text), Is.EqualTo(("note", "a string")));
            Assert.That((asOrder.Event, asOrder.Text), Is.EqualTo(("order", (string?)null)));
            Assert.That(asOrder.Data.GetRawText(), Is.EqualTo("""{"id":"o-1","count":3,"prices":[1.5,2]}"""), "camelCase, as System.Text.Json's web defaults write it");
            Assert.That(asOrder.GetData<Order>(), Is.EqualTo(new Order("o-1", 3, [1.5, 2])).Using<Order>((a, b) => a.Id == b.Id && a.Count == b.Count && a.Prices.SequenceEqual(b.Prices)));
        });
    }

    [Test]
    public async Task AClientOfTheShapeBeforeData_StillReadsEveryTextMessage_OverEitherProtocol([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA);
        var received = new Inbox<OldMessage>();
        // What Hub.Client was before messages had data: no data formatter, a Message without event or data.
        var builder = new HubConnectionBuilder().WithUrl(NodeB.HubUrl);
        if (protocol == HubProtocolKind.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        await using var old = builder.Build();
        old.On<OldMessage>("Receive", received.Add);
        await old.StartAsync().Within();
        await old.InvokeAsync<ResumeResult>("Resume", new ResumeRequest()).Within();

        var sent = await sender.Client.SendAsync("for everyone").Within();
        var structured = await sender.Client.PublishAsync("all", "typing", new { user = "ada" }).Within();

        var message = await received.WaitForAsync(m => m.Id == sent.Id, "the text message");
        var other = await received.WaitForAsync(m => m.Id == structured.Id, "the structured message");
        Assert.That((message.Stream, message.Text), Is.EqualTo(("all", "for everyone")));
        Assert.That(other.Text, Is.Null, "an old client sees no text where there is none");
    }

    [Test]
    public async Task On_HandsOneEventsData_AsT_InOrder_UntilDisposed([Values] HubProtocolKind protocol)
    {
        var alice = await ConnectAsync(NodeA, "alice", protocol);
        var bob = await ConnectAsync(NodeB, "bob", protocol);
        var typing = new Inbox<Typing>();
        var subscription = bob.Client.On<Typing>("typing", (t, m) => typing.Add(t with { From = m.User }));
        var numbers = new Inbox<string>();
        using var _ = bob.Client.On<int>("number", n => numbers.Add(n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await alice.Client.PublishAsync("all", "typing", new Typing(true)).Within();
        await alice.Client.SendAsync("not typing").Within();
        await alice.Client.PublishAsync("all", "number", "not a number").Within();
        await alice.Client.PublishAsync("all", "number", 7).Within();
        await alice.Client.PublishAsync("all", "typing", new Typing(false)).Within();
        await DrainAsync(alice, bob);

        Assert.That(typing.Items, Is.EqualTo(new[] { new Typing(true) { From = "alice" }, new Typing(false) { From = "alice" } }));
        Assert.That(numbers.Items, Is.EqualTo(new[] { "7" }), "data that is not a T is skipped, and the handler goes on");
        subscription.Dispose();
        await alice.Client.PublishAsync("all", "typing", new Typing(true)).Within();
        await DrainAsync(alice, bob);
        Assert.That(typing.Items, Has.Count.EqualTo(2), "nothing after the subscription was disposed");
    }

    [Test]
    public async Task DataOfExactlyTheLimit_IsAccepted_AndOneByteMore_IsRefused([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, protocol: protocol);
        var receiver = await ConnectAsync(NodeB, protocol: protocol);
        // DEL takes 1 byte as JSON.stringify writes it and 6 as SignalR's JSON writer does (\u007F);
        // doubles take 9 bytes in MessagePack for 4 in JSON ("0.5,"). Each is 32768 bytes as JSON.
        JsonElement[] atTheLimit =
        [
            JsonSerializer.SerializeToElement(new string('\u007f', 32766)),
            JsonElement.Parse($"[{string.Join(",", Enumerable.Repeat("0.5", 8191))},12]"),
        ];
        JsonElement[] overIt =
        [
            JsonSerializer.SerializeToElement(new string('\u007f', 32767)),
            JsonElement.Parse($"[{string.Join(",", Enumerable.Repeat("0.5", 8191))},123]"),
        ];

        foreach (var data in atTheLimit)
        {
            var sent = await sender.Client.PublishAsync("all", "big", data).Within();
            var message = await receiver.Messages.WaitForAsync(m => m.Id == sent.Id, "the data at the limit");
            DataShapes.AssertSame(data, message.Data, "the data at the limit");
        }

        foreach (var data in overIt)
        {
            var refused = Assert.ThrowsAsync<HubException>(() => sender.Client.PublishAsync("all", "big", data).Within());
            Assert.That(refused!.Message, Does.Contain("data is 32769 bytes as UTF-8 JSON; the limit is 32768 (Hub:Limits:MaxMessageBytes)"));
        }

        Assert.That(sender.Client.State, Is.EqualTo(HubConnectionState.Connected));
    }

    [Test]
    public async Task ARefusedPublish_ReachesNoOne_AndTakesNoOffset([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, protocol: protocol);
        var receiver = await ConnectAsync(NodeB, protocol: protocol);

        var first = await sender.Client.PublishAsync("all", "ok", 1).Within();
        var tooLong = Assert.ThrowsAsync<HubException>(() => sender.Client.PublishAsync("all", new string('e', 129), 2).Within());
        var tooBig = Assert.ThrowsAsync<HubException>(() => sender.Client.PublishAsync("all", "big", new string('x', 32767)).Within());
        var second = await sender.Client.PublishAsync("all", "ok", 3).Within();

        await receiver.Messages.WaitForAsync(m => m.Id == second.Id, "the message after the refused ones");
        Assert.Multiple(() =>
        {
            Assert.That(tooLong!.Message, Does.Contain("The event name is 129 characters; it must be 1 to 128"));
            Assert.That(tooBig!.Message, Does.Contain("data is 32769 bytes as UTF-8 JSON; the limit is 32768"));
            Assert.That(second.Offset, Is.EqualTo(first.Offset + 1), "no offset taken by a refused message");
            Assert.That(receiver.Messages.Items.Where(m => m.Stream == "all").Select(m => m.Data.GetInt32()), Is.EqualTo(new[] { 1, 3 }));
        });
    }

    private async Task<RawClient> ConnectRawAsync(TestNode node, HubProtocolKind protocol)
    {
        var builder = new HubConnectionBuilder().WithUrl(node.HubUrl);
        if (protocol == HubProtocolKind.MessagePack)
        {
            builder.AddMessagePackProtocol(o => o.SerializerOptions = JsonDataFormatter.Carrying(o.SerializerOptions));
        }

        var client = new RawClient(builder.Build());
        client.Connection.On<Message>("Receive", client.Received.Add);
        await client.Connection.StartAsync().Within();
        return client;
    }

    private sealed record RawClient(HubConnection Connection) : IAsyncDisposable
    {
        public Inbox<Message> Received { get; } = new();

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    public sealed record Order(string Id, int Count, double[] Prices);

    public sealed record Typing(bool IsTyping)
    {
        public string? From { get; init; }
    }

    /// <summary>Hub.Client's message before it had an event and data.</summary>
    [MessagePackObject]
    public sealed record OldMessage
    {
        [Key("id")] public required string Id { get; init; }

        [Key("stream")] public required string Stream { get; init; }

        [Key("text")] public string? Text { get; init; }
    }
}
