using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Hub;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class MessagingTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task Send_FromNodeA_ReachesEveryClientOnEveryNode_SenderIncluded([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, "alice", protocol);
        var receiver = await ConnectAsync(NodeB, "bob", protocol);

        var result = await sender.Client.SendAsync("hello all").Within();

        foreach (var client in new[] { sender, receiver })
        {
            var message = await client.Messages.WaitForAsync(m => m.Id == result.Id, "the broadcast");
            Assert.Multiple(() =>
            {
                Assert.That(message.Stream, Is.EqualTo("all"));
                Assert.That(message.Text, Is.EqualTo("hello all"));
                Assert.That(message.From, Is.EqualTo(sender.ConnectionId));
                Assert.That(message.User, Is.EqualTo("alice"));
                Assert.That(message.Offset, Is.EqualTo(result.Offset));
                Assert.That(message.SentAt.Kind, Is.EqualTo(DateTimeKind.Utc));
                Assert.That(message.SentAt, Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(1)));
            });
        }

        Assert.That(result.Stream, Is.EqualTo("all"));
    }

    [Test]
    public async Task SendToConnection_ReachesThatConnectionOnly_OnWhicheverNode([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, protocol: protocol);
        var target = await ConnectAsync(NodeB, protocol: protocol);
        var bystander = await ConnectAsync(NodeB, protocol: protocol);

        var result = await sender.Client.SendToConnectionAsync(target.ConnectionId, "just you").Within();

        var message = await target.Messages.WaitForAsync(m => m.Id == result.Id, "the direct message");
        Assert.That(message.Stream, Is.EqualTo($"connection:{target.ConnectionId}"));
        Assert.That(message.User, Is.Null);
        await DrainAsync(sender, bystander);
        Assert.That(bystander.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task SendToUser_ReachesEveryConnectionOfTheUser_OnEveryNode([Values] HubProtocolKind protocol)
    {
        var sender = await ConnectAsync(NodeA, "alice", protocol);
        var bobOnA = await ConnectAsync(NodeA, "bob", protocol);
        var bobOnB = await ConnectAsync(NodeB, "bob", protocol);
        var carol = await ConnectAsync(NodeB, "carol", protocol);

        var result = await sender.Client.SendToUserAsync("bob", "hi bob").Within();

        foreach (var bob in new[] { bobOnA, bobOnB })
        {
            var message = await bob.Messages.WaitForAsync(m => m.Id == result.Id, "the user message");
            Assert.That(message.Stream, Is.EqualTo("user:bob"));
        }

        await DrainAsync(sender, carol, sender);
        Assert.That(carol.Messages.Items.Any(m => m.Id == result.Id), Is.False);
        Assert.That(sender.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task SendToGroup_ReachesMembersOnEveryNode_AndASenderNeedNotJoin([Values] HubProtocolKind protocol)
    {
        var outsider = await ConnectAsync(NodeA, protocol: protocol);
        var memberA = await ConnectAsync(NodeA, protocol: protocol);
        var memberB = await ConnectAsync(NodeB, protocol: protocol);
        await memberA.Client.JoinAsync("room").Within();
        await memberB.Client.JoinAsync("room").Within();

        var result = await outsider.Client.SendToGroupAsync("room", "to the room").Within();

        foreach (var member in new[] { memberA, memberB })
        {
            var message = await member.Messages.WaitForAsync(m => m.Id == result.Id, "the group message");
            Assert.That(message.Stream, Is.EqualTo("group:room"));
        }

        await DrainAsync(outsider, outsider);
        Assert.That(outsider.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task Messages_OfOneStream_ArriveInOffsetOrder_WithOffsetsRisingByOne()
    {
        var sender = await ConnectAsync(NodeA);
        var receiver = await ConnectAsync(NodeB);
        await receiver.Client.JoinAsync("ordered").Within();

        var sends = Enumerable.Range(0, 50).Select(i => sender.Client.SendToGroupAsync("ordered", $"m{i}")).ToList();
        var results = await Task.WhenAll(sends).Within();
        await receiver.Messages.WaitForCountAsync(50, "the 50 group messages");

        var offsets = receiver.Messages.Items.Select(m => m.Offset).ToList();
        Assert.That(offsets, Is.EqualTo(Enumerable.Range(1, 50).Select(i => (long)i)));
        Assert.That(results.Select(r => r.Offset).Order(), Is.EqualTo(offsets));
    }

    [Test]
    public async Task ATextOfExactlyTheLimit_AsJson_IsAccepted_OverEitherProtocol([Values] HubProtocolKind protocol)
    {
        var client = await ConnectAsync(NodeA, protocol: protocol);
        // The limit counts the text as a JSON string: é is 2 bytes, \u0001 6, \" 2, < 1, and 2 quotes.
        var text = string.Concat(Enumerable.Repeat("é\u0001\"<", 2978)) + "éééé";
        var relaxed = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.That(System.Text.Encoding.UTF8.GetByteCount(System.Text.Json.JsonSerializer.Serialize(text, relaxed)), Is.EqualTo(32768));

        var result = await client.Client.SendAsync(text).Within();

        var message = await client.Messages.WaitForAsync(m => m.Id == result.Id, "the message at the limit");
        Assert.That(message.Text, Is.EqualTo(text));
        var over = Assert.ThrowsAsync<HubException>(() => client.Client.SendAsync(text + "x").Within());
        Assert.That(over!.Message, Does.Contain("32769 bytes as UTF-8 JSON; the limit is 32768"));
    }
}
