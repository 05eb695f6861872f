using Hub.Tests.Infrastructure;

namespace Hub.Tests.Hub;

/// <summary>
/// A client may send without awaiting each answer: its calls then run side by side on the node,
/// yet take effect in the order it sent them, even where the application's handler takes longer
/// over one than over the next.
/// </summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class CallOrderTests(Topology topology) : ClusterTest(topology)
{
    private readonly UnevenHandler _handler = new();

    protected override AppBuilder? App => _handler.Server;

    [Test]
    public async Task SendsNotAwaitedOneByOne_TakeTheirOffsetsAndArriveInTheOrderSent()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");
        await bob.Client.JoinAsync("room").Within();

        var texts = Enumerable.Range(0, 100).Select(i => $"m{i}").ToArray();
        var sends = texts.Select(text => alice.Client.SendToGroupAsync("room", text)).ToArray();
        var results = await Task.WhenAll(sends).Within();
        await bob.Messages.WaitForAsync(m => m.Id == results[^1].Id, "the last message");

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(1, texts.Length).Select(i => (long)i)),
                "each send's offset, in the order sent");
            Assert.That(bob.Messages.Items.Select(m => m.Text), Is.EqualTo(texts), "what the member received, in the order sent");
            Assert.That(_handler.Messages.Where(texts.Contains), Is.EqualTo(texts), "the handler saw each message in turn");
        });
    }

    [Test]
    public async Task AJoinNotAwaited_TakesEffectBeforeTheSendAfterIt()
    {
        var alice = await ConnectAsync(NodeA, "alice");

        // The handler takes its time over the join; the send right behind it must still find alice a member.
        var join = alice.Client.JoinAsync(UnevenHandler.SlowGroup);
        var sent = await alice.Client.SendToGroupAsync(UnevenHandler.SlowGroup, "am I in?").Within();
        await join.Within();

        var received = await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "alice's own message to the group she joined first");
        Assert.That(received.Text, Is.EqualTo("am I in?"));
    }
}
