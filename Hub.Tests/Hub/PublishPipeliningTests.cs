using Hub.Tests.Infrastructure;

namespace Hub.Tests.Hub;

/// <summary>
/// A publish lets its connection's next call begin once its message is on its way to Redis, not
/// once Redis has answered: a client sending without awaiting each answer is not held to one
/// message per round trip (the calls' order is CallOrderTests').
/// </summary>
public sealed class PublishPipeliningTests() : ClusterTest(Topology.Redis)
{
    private readonly UnevenHandler _handler = new();

    protected override AppBuilder? App => _handler.Server;

    [Test]
    public async Task APublish_LetsTheConnectionsNextCallBegin_BeforeRedisAnswersIt()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        await alice.Client.SendAsync("warm").Within();

        // Redis holds every command for a while: the first send's answer cannot come before it lets go.
        await Redis!.PauseAsync(TimeSpan.FromSeconds(3)).Within();
        var first = alice.Client.SendAsync("first");
        var second = alice.Client.SendAsync("second");
        await Bounded.UntilAsync(() => Task.FromResult(_handler.Messages.Contains("second")), "the second send reaching the node's handler");
        var firstAnsweredBefore = first.IsCompleted;

        var results = await Task.WhenAll(first, second).Within();
        Assert.Multiple(() =>
        {
            Assert.That(firstAnsweredBefore, Is.False, "the second call began while the first waited for Redis");
            Assert.That(results[1].Offset, Is.EqualTo(results[0].Offset + 1), "and took the next offset");
        });
    }
}
